// A Node client of the contract over the server's WebSocket (used by the CLI's
// status/pause/resume and by tests).
import WebSocket from 'ws';
import {
  CommandError,
  ERROR_CODES,
  type CommandArgs,
  type CommandName,
  type CommandResult,
  type ErrorCode,
  type EventName,
  type EventPayloads,
  type InterceptorApi,
} from '../../common/contract.js';
import { WS_PATH } from './server.js';

export interface RemoteEngine extends InterceptorApi {
  /** http://HOST:PORT of the server. */
  readonly origin: string;
  readonly token: string;
  close(): Promise<void>;
}

/** origin: http://127.0.0.1:PORT (a full URL is accepted too; its path and query are ignored). */
export async function connectRemote(origin: string, token: string, options: { timeoutMs?: number } = {}): Promise<RemoteEngine> {
  const base = new URL(origin);
  const wsUrl = `ws://${base.host}${WS_PATH}`;
  const ws = new WebSocket(wsUrl, { headers: { Authorization: `Bearer ${token}` }, handshakeTimeout: options.timeoutMs ?? 5000 });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new CommandError(res.statusCode === 401 ? 'unauthorized' : 'unavailable', `the server refused the connection (HTTP ${res.statusCode})`)));
    ws.once('error', (e) => reject(new CommandError('unavailable', `cannot reach the server at ${base.origin}: ${e.message}`)));
  });
  let seq = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  ws.on('message', (raw) => {
    let msg: { id?: number; ok?: boolean; result?: unknown; error?: { code: string; message: string }; event?: string; payload?: unknown };
    try {
      msg = JSON.parse(raw.toString()) as typeof msg;
    } catch {
      return;
    }
    if (typeof msg.event === 'string') {
      for (const l of listeners.get(msg.event) ?? []) l(msg.payload);
      return;
    }
    const p = typeof msg.id === 'number' ? pending.get(msg.id) : undefined;
    if (!p) return;
    pending.delete(msg.id!);
    if (msg.ok) p.resolve(msg.result);
    else {
      const code = (ERROR_CODES as readonly string[]).includes(msg.error?.code ?? '') ? (msg.error!.code as ErrorCode) : 'internal';
      p.reject(new CommandError(code, msg.error?.message ?? 'error'));
    }
  });
  ws.on('close', () => {
    for (const p of pending.values()) p.reject(new CommandError('unavailable', 'the connection to the server closed'));
    pending.clear();
  });
  return {
    origin: base.origin,
    token,
    invoke<N extends CommandName>(name: N, args: CommandArgs<N>): Promise<CommandResult<N>> {
      return new Promise((resolve, reject) => {
        if (ws.readyState !== WebSocket.OPEN) return reject(new CommandError('unavailable', 'not connected'));
        const id = ++seq;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        ws.send(JSON.stringify({ id, cmd: name, args }));
      });
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (p: unknown) => void);
      return () => set!.delete(listener as (p: unknown) => void);
    },
    close() {
      return new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close();
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 1000).unref();
      });
    },
  };
}
