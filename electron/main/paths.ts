// Where the shell finds its files, in development and in a packaged app. The
// helper binary is shipped outside the asar (forge extraResource, electron-builder
// extraResources) as <resources>/interceptor-helper, because an asar cannot be exec'd.
import path from 'node:path';

export const HELPER_NAME = 'interceptor-helper';

export interface ShellPaths {
  preload: string;
  rendererDir: string;
  assetsDir: string;
  /** undefined: let the engine find the helper it builds (native/build) itself. */
  helperPath: string | undefined;
}

/** `appPath` is app.getAppPath(): the project root in development, …/resources/app.asar when packaged. */
export function shellPaths(options: { isPackaged: boolean; appPath: string; resourcesPath: string }): ShellPaths {
  const dist = path.join(options.appPath, 'dist');
  return {
    preload: path.join(dist, 'electron', 'preload', 'preload.cjs'),
    rendererDir: path.join(dist, 'renderer'),
    assetsDir: path.join(options.appPath, 'assets'),
    helperPath: options.isPackaged ? path.join(options.resourcesPath, HELPER_NAME) : undefined,
  };
}

export const TRAY_ICON_FILES = { running: 'tray-running.png', paused: 'tray-paused.png', atCap: 'tray-at-cap.png' } as const;
export const APP_ICON_FILE = 'icon.png';

/**
 * What starts the desktop app at login, tray only (--hidden): the AppImage itself when
 * run from one (its mount point changes each run), else the installed binary, else (in
 * development) Electron on the project.
 */
export function loginCommand(options: { isPackaged: boolean; execPath: string; appPath: string; appImage: string | undefined }): string[] {
  if (options.appImage) return [options.appImage, '--hidden'];
  return options.isPackaged ? [options.execPath, '--hidden'] : [options.execPath, options.appPath, '--hidden'];
}
