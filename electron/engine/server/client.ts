// A Node client of the contract over the server's WebSocket (used by the CLI's remote
// commands and by tests): the contract's client (electron/common/wire.ts, the same as the
// dashboard's) on a `ws` socket.
import WebSocket from 'ws';
import { CommandError, type CommandArgs, type CommandName, type CommandResult, type EventName, type EventPayloads, type InterceptorApi } from '../../common/contract.js';
import { ContractClient } from '../../common/wire.js';
import { WS_PATH } from './socket.js';

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
  const client = new ContractClient((frame) => ws.send(frame));
  ws.on('message', (raw) => client.receive(raw.toString()));
  ws.on('close', () => client.fail('the connection to the server closed'));
  return {
    origin: base.origin,
    token,
    invoke<N extends CommandName>(name: N, args: CommandArgs<N>): Promise<CommandResult<N>> {
      if (ws.readyState !== WebSocket.OPEN) return Promise.reject(new CommandError('unavailable', 'not connected'));
      return client.invoke(name, args);
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void) {
      return client.on(event, listener);
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
