// Quitting and crashing. Closing the window only hides it (Interceptor lives in the
// tray); Quit stops the apps or leaves them running per settings.onQuit; a crash of
// the main process shuts the engine down per settings.onEngineLoss, and if even that
// fails the helpers apply onEngineLoss themselves when the engine's sockets close.
// Either way, no app is left frozen.
import type { EngineSettings } from '../common/model.js';
import type { EngineLike } from './engine-types.js';

export type ShutdownOptions = { leaveRunning: boolean };

export function shutdownOptionsForQuit(settings: Pick<EngineSettings, 'onQuit'> | null): ShutdownOptions {
  return { leaveRunning: settings?.onQuit === 'leaveRunning' };
}

export function shutdownOptionsForCrash(settings: Pick<EngineSettings, 'onEngineLoss'> | null): ShutdownOptions {
  return { leaveRunning: settings?.onEngineLoss === 'continue' };
}

export interface AppLike {
  quit(): void;
  exit(code?: number): void;
}

export interface PreventableEvent {
  preventDefault(): void;
}

export interface QuitControllerOptions {
  app: AppLike;
  engine: Pick<EngineLike, 'shutdown'> | null;
  getSettings: () => Pick<EngineSettings, 'onQuit' | 'onEngineLoss'> | null;
  /** Longest wait for the engine to stop the apps before exiting anyway. */
  timeoutMs?: number;
  crashTimeoutMs?: number;
  log?: (message: string) => void;
  setTimer?: (callback: () => void, ms: number) => { cancel(): void };
}

type Phase = 'running' | 'shuttingDown' | 'done';

const realTimer = (callback: () => void, ms: number) => {
  const h = setTimeout(callback, ms);
  return { cancel: () => clearTimeout(h) };
};

export class QuitController {
  private phase: Phase = 'running';
  private engine: Pick<EngineLike, 'shutdown'> | null;
  private readonly log: (message: string) => void;
  private readonly setTimer: (callback: () => void, ms: number) => { cancel(): void };

  constructor(private readonly options: QuitControllerOptions) {
    this.engine = options.engine;
    this.log = options.log ?? (() => {});
    this.setTimer = options.setTimer ?? realTimer;
  }

  setEngine(engine: Pick<EngineLike, 'shutdown'> | null): void {
    this.engine = engine;
  }

  get quitting(): boolean {
    return this.phase !== 'running';
  }

  /** BrowserWindow 'close': hide to the tray unless the app is quitting. Returns true if hidden. */
  onWindowClose(event: PreventableEvent, hide: () => void): boolean {
    if (this.quitting) return false;
    event.preventDefault();
    hide();
    return true;
  }

  /** app 'before-quit': hold the quit until the engine has stopped or released the apps. */
  onBeforeQuit(event: PreventableEvent): void {
    if (this.phase === 'done') return;
    event.preventDefault();
    if (this.phase === 'shuttingDown') return;
    void this.shutdownThen(shutdownOptionsForQuit(this.options.getSettings()), this.options.timeoutMs ?? 15_000, 'quit', () => this.options.app.quit());
  }

  /** Tray "Quit", SIGINT, SIGTERM: same path as a quit from the OS. */
  requestQuit(): void {
    if (this.phase === 'running') this.options.app.quit();
  }

  /** An uncaught error in the main process: release the apps per onEngineLoss, then exit(1). */
  onFatalError(err: unknown): Promise<void> {
    this.log(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    if (this.phase === 'shuttingDown') {
      // Already stopping: make sure we do leave.
      this.options.app.exit(1);
      return Promise.resolve();
    }
    return this.shutdownThen(shutdownOptionsForCrash(this.options.getSettings()), this.options.crashTimeoutMs ?? 3_000, 'crash', () => this.options.app.exit(1));
  }

  private async shutdownThen(opts: ShutdownOptions, timeoutMs: number, why: string, then: () => void): Promise<void> {
    this.phase = 'shuttingDown';
    const engine = this.engine;
    if (engine) {
      this.log(`${why}: ${opts.leaveRunning ? 'leaving apps running' : 'stopping apps'}`);
      let timer: { cancel(): void } | null = null;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = this.setTimer(() => resolve('timeout'), timeoutMs);
      });
      try {
        const outcome = await Promise.race([engine.shutdown(opts).then(() => 'ok' as const), timedOut]);
        if (outcome === 'timeout') this.log(`${why}: the engine did not stop within ${timeoutMs} ms; exiting (helpers apply onEngineLoss)`);
      } catch (err) {
        this.log(`${why}: engine shutdown failed: ${err instanceof Error ? err.message : String(err)} (helpers apply onEngineLoss)`);
      } finally {
        (timer as { cancel(): void } | null)?.cancel();
      }
    }
    this.phase = 'done';
    then();
  }
}
