// The WebSocket transport: the contract's client (electron/common/wire.ts, the same as the
// CLI's) on a socket to `interceptor serve`. Reconnects after a loss with a growing delay;
// requests made while the connection is down fail at once with "unavailable" instead of hanging.
import type { CommandArgs, CommandName, CommandResult, EventName, EventPayloads } from '../../../electron/common/contract.js';
import { CommandError } from '../../../electron/common/errors.js';
import { ContractClient } from '../../../electron/common/wire.js';
import type { ConnectionInfo, Transport } from './transport.js';

/** The part of the WebSocket API used here (the browser's, or the `ws` package's in tests). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketFactory = (url: string) => WebSocketLike;

export interface WsOptions {
  url: string;
  createSocket?: WebSocketFactory;
  /** Delays between attempts, ms; the last one repeats. */
  retryDelays?: number[];
  requestTimeoutMs?: number;
  /**
   * Asked after a socket failed to open: true if the token is refused. A browser
   * cannot read the status of a refused WebSocket upgrade, an HTTP request can.
   */
  probeUnauthorized?: () => Promise<boolean>;
}

const OPEN = 1;
/** Close codes by which a server says the credentials are wrong (policy violation, app-defined 4401/4403). */
const AUTH_CLOSE_CODES = new Set([1008, 4001, 4401, 4403]);

export class WsTransport implements Transport {
  readonly kind = 'websocket' as const;
  private socket: WebSocketLike | null = null;
  private readonly client: ContractClient;
  private readonly connectionListeners = new Set<(info: ConnectionInfo) => void>();
  private info: ConnectionInfo = { status: 'connecting', attempt: 0, retryAt: null, detail: null };
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private readonly retryDelays: number[];
  private readonly createSocket: WebSocketFactory;

  constructor(private readonly options: WsOptions) {
    this.retryDelays = options.retryDelays ?? [500, 1000, 2000, 4000, 5000];
    this.createSocket = options.createSocket ?? ((url) => new WebSocket(url) as unknown as WebSocketLike);
    this.client = new ContractClient((frame) => this.send(frame), {
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      onListenerError: (error, event) => console.error(`interceptor: "${event}" listener failed`, error),
    });
    this.connect();
  }

  invoke<N extends CommandName>(name: N, args: CommandArgs<N>): Promise<CommandResult<N>> {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN || this.info.status !== 'open') {
      return Promise.reject(new CommandError('unavailable', 'Not connected to the Interceptor engine.'));
    }
    return this.client.invoke(name, args);
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void {
    return this.client.on(event, listener);
  }

  onConnection(listener: (info: ConnectionInfo) => void): () => void {
    this.connectionListeners.add(listener);
    listener(this.info);
    return () => this.connectionListeners.delete(listener);
  }

  retryNow(): void {
    if (this.closed || this.info.status === 'open') return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.connect();
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = socket.onerror = socket.onmessage = socket.onopen = null;
      try {
        socket.close(1000, 'closed by the dashboard');
      } catch {
        /* already closed */
      }
    }
    this.client.fail('The dashboard closed the connection.');
    this.setInfo({ status: 'closed', attempt: 0, retryAt: null, detail: null });
  }

  private setInfo(info: ConnectionInfo): void {
    this.info = info;
    for (const listener of [...this.connectionListeners]) listener(info);
  }

  private connect(): void {
    if (this.closed) return;
    let socket: WebSocketLike;
    try {
      socket = this.createSocket(this.options.url);
    } catch (error) {
      this.scheduleRetry(String(error));
      return;
    }
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.setInfo({ status: 'open', attempt: 0, retryAt: null, detail: null });
    };
    socket.onmessage = (ev) => this.client.receive(ev.data);
    socket.onerror = () => {
      /* onclose follows and decides */
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.client.fail('The connection to the engine was lost.');
      if (AUTH_CLOSE_CODES.has(ev.code)) {
        this.setInfo({ status: 'unauthorized', attempt: this.info.attempt, retryAt: null, detail: ev.reason || 'The engine refused the token.' });
        return;
      }
      const detail = opened ? 'The connection to the engine was lost.' : 'The engine cannot be reached.';
      if (!opened && this.options.probeUnauthorized) {
        this.options.probeUnauthorized().then(
          (refused) => {
            if (this.closed) return;
            if (refused) this.setInfo({ status: 'unauthorized', attempt: this.info.attempt, retryAt: null, detail: 'The engine refused the token.' });
            else this.scheduleRetry(detail);
          },
          () => this.scheduleRetry(detail),
        );
      } else {
        this.scheduleRetry(detail);
      }
    };
  }

  private scheduleRetry(detail: string): void {
    if (this.closed) return;
    const attempt = this.info.status === 'open' ? 1 : this.info.attempt + 1;
    const delay = this.retryDelays[Math.min(attempt - 1, this.retryDelays.length - 1)] ?? 1000;
    this.setInfo({ status: 'reconnecting', attempt, retryAt: Date.now() + delay, detail });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  private send(frame: string): void {
    if (!this.socket) throw new Error('the socket is closed');
    this.socket.send(frame);
  }
}

/** The WebSocket URL of the page's own server, with the token of the page's URL. */
export function wsUrlFromLocation(location: { protocol: string; host: string; search: string }): { url: string; token: string | null } {
  const token = new URLSearchParams(location.search).get('token');
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  return { url: `${scheme}//${location.host}/ws${query}`, token };
}
