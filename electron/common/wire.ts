// The contract over a text channel (the WebSocket of `interceptor serve`), JSON frames:
//   client → server  { "id": 1, "cmd": "getState", "args": {} }
//   server → client  { "id": 1, "ok": true, "result": ... } | { "id": 1, "ok": false, "error": { "code", "message" } }
//   server → client  { "event": "snapshot", "payload": ... }
// The client end lives here, ContractClient: the CLI's client and the dashboard's bridge both
// use it. The server end is engine/server/socket.ts. Pure: no Node built-ins, no I/O, and only
// types from contract.ts (so the dashboard bundles no zod).
import type { CommandArgs, CommandName, CommandResult, EventName, EventPayloads, InterceptorApi } from './contract.js';
import { CommandError, errorFromReply, type ErrorReply } from './errors.js';
import { Listeners, PendingReplies } from './rpc.js';

export type WireResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: ErrorReply };
export interface WireEvent {
  event: EventName;
  payload: unknown;
}
export const MAX_WIRE_MESSAGE = 256 * 1024;

/** Each event of the contract with its one argument, the payload. */
export type ContractEventArgs = { [E in EventName]: [payload: EventPayloads[E]] };

export interface ContractClientOptions {
  /** A request with no reply after this long fails with 'unavailable'; default: it waits. */
  requestTimeoutMs?: number;
  /** Where a throwing event listener is reported; default: the throw reaches the caller of receive(). */
  onListenerError?: (error: unknown, event: EventName) => void;
}

/** The client end: invoke sends a request frame; receive() takes every frame the server sends. */
export class ContractClient implements InterceptorApi {
  private readonly replies = new PendingReplies<unknown>();
  private readonly listeners: Listeners<ContractEventArgs>;

  constructor(
    private readonly send: (frame: string) => void,
    private readonly options: ContractClientOptions = {},
  ) {
    this.listeners = new Listeners(options.onListenerError);
  }

  invoke<N extends CommandName>(name: N, args: CommandArgs<N>): Promise<CommandResult<N>> {
    const ms = this.options.requestTimeoutMs;
    const timeout = ms === undefined ? undefined : { ms, error: () => new CommandError('unavailable', `The engine did not answer "${name}" in time.`) };
    const { id, reply } = this.replies.open(timeout);
    try {
      this.send(JSON.stringify({ id, cmd: name, args: args ?? {} }));
    } catch (error) {
      this.replies.reject(id, new CommandError('unavailable', `Could not send "${name}": ${String(error)}`));
    }
    return reply as Promise<CommandResult<N>>;
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void {
    return this.listeners.on(event, listener);
  }

  /** A frame from the server: an event for the listeners, or the reply to a request. */
  receive(frame: unknown): void {
    if (typeof frame !== 'string') return; // the contract sends text frames only
    let message: Partial<WireResponse & WireEvent>;
    try {
      message = JSON.parse(frame) as Partial<WireResponse & WireEvent>;
    } catch {
      return;
    }
    if (typeof message.event === 'string') {
      this.listeners.emit(message.event, message.payload as never);
      return;
    }
    if (typeof message.id !== 'number') return;
    const response = message as WireResponse;
    if (response.ok) this.replies.resolve(response.id, response.result);
    else this.replies.reject(response.id, errorFromReply(response.error));
  }

  /** The channel closed: every request still waiting fails with 'unavailable'. */
  fail(message: string): void {
    this.replies.rejectAll(new CommandError('unavailable', message));
  }
}
