// UI: the connection (written by the bridge) and the owner's view choices (theme,
// view, selected app, open dialog), which are the only things components set.
import type { ProfileName } from '../../../electron/common/model.js';
import type { ConnectionInfo } from '../bridge/transport.js';
import type { Slice } from './types.js';

export type View = 'overview' | 'apps' | 'events' | 'settings';
export type ThemeChoice = 'system' | 'light' | 'dark';
export type Editor = { mode: 'add' } | { mode: 'edit'; id: string } | null;

export interface UiSlice {
  connection: ConnectionInfo;
  transportKind: 'electron' | 'websocket' | null;
  theme: ThemeChoice;
  view: View;
  selectedAppId: string | null;
  editor: Editor;
  /** Which profile's caps the overview edits; null = the active one. */
  editProfile: ProfileName | null;
  setConnection(info: ConnectionInfo, kind?: 'electron' | 'websocket'): void;
  setTheme(theme: ThemeChoice): void;
  setView(view: View): void;
  selectApp(id: string | null): void;
  openEditor(editor: Editor): void;
  setEditProfile(profile: ProfileName | null): void;
}

export const createUiSlice: Slice<UiSlice> = (set) => ({
  connection: { status: 'connecting', attempt: 0, retryAt: null, detail: null },
  transportKind: null,
  theme: 'system',
  view: 'overview',
  selectedAppId: null,
  editor: null,
  editProfile: null,
  setConnection: (connection, kind) => set(kind ? { connection, transportKind: kind } : { connection }),
  setTheme: (theme) => set({ theme }),
  setView: (view) => set({ view }),
  selectApp: (selectedAppId) => set({ selectedAppId }),
  openEditor: (editor) => set({ editor }),
  setEditProfile: (editProfile) => set({ editProfile }),
});
