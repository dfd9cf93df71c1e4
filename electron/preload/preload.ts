// Preload of the dashboard window (sandboxed, so bundled to CommonJS by
// scripts/build.mjs). Exposes the typed contract as `window.interceptor` and
// nothing else: no ipcRenderer, no Node.
import { contextBridge, ipcRenderer } from 'electron';
import { PRELOAD_GLOBAL, createInterceptorApi, type PreloadApi } from './bridge.js';

const api: PreloadApi = createInterceptorApi({
  invoke: (channel, ...args) => ipcRenderer.invoke(channel, ...args),
  on: (channel, listener) => ipcRenderer.on(channel, listener),
  removeListener: (channel, listener) => ipcRenderer.removeListener(channel, listener),
});

contextBridge.exposeInMainWorld(PRELOAD_GLOBAL, api);

export type { PreloadApi };
