// The Electron transport: the preload's `window.interceptor` (contextBridge). IPC
// inside one process tree does not drop, so the connection is always open.
import type { InterceptorApi } from '../../../electron/common/contract.js';
import type { ConnectionInfo, Transport } from './transport.js';

export function preloadApi(): InterceptorApi | null {
  const api = (globalThis as { interceptor?: Partial<InterceptorApi> }).interceptor;
  return api && typeof api.invoke === 'function' && typeof api.on === 'function' ? (api as InterceptorApi) : null;
}

export function electronTransport(api: InterceptorApi): Transport {
  const info: ConnectionInfo = { status: 'open', attempt: 0, retryAt: null, detail: null };
  return {
    kind: 'electron',
    invoke: (name, args) => api.invoke(name, args),
    on: (event, listener) => api.on(event, listener),
    onConnection(listener) {
      listener(info);
      return () => {};
    },
    retryNow() {},
    close() {},
  };
}
