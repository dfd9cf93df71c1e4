// The API the preload exposes as `window.interceptor`: the typed contract over
// Electron IPC. Plain code over an ipcRenderer-like object so it is unit-tested
// without Electron; preload.ts hands it to contextBridge. Its type is derived
// from this implementation (PreloadApi) and checked against InterceptorApi.
import {
  EVENT_NAMES,
  IPC_EVENT_CHANNEL,
  IPC_PREFIX,
  isCommandName,
  type CommandArgs,
  type CommandName,
  type CommandResult,
  type EventName,
  type EventPayloads,
  type InterceptorApi,
} from '../common/contract.js';
import { CommandError, isErrorCode, type ErrorCode } from '../common/errors.js';
import { Listeners } from '../common/rpc.js';
import type { ContractEventArgs } from '../common/wire.js';
import type { IpcReply } from '../main/ipc-protocol.js';

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

const EVENT_NAME_SET: ReadonlySet<string> = new Set<string>(EVENT_NAMES);
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && EVENT_NAME_SET.has(name);
}

/**
 * The rejection of a failed command. contextBridge copies only an Error's message into
 * the page, so the code leads the message ("notFound: no app …") as well as being a property.
 */
export function replyError(code: ErrorCode, message: string): CommandError {
  return new CommandError(code, `${code}: ${message}`);
}

function isReply(value: unknown): value is IpcReply {
  if (!value || typeof value !== 'object' || !('ok' in value)) return false;
  const v = value as { ok: unknown; error?: { code?: unknown; message?: unknown } };
  if (v.ok === true) return 'result' in (value as object);
  return v.ok === false && !!v.error && isErrorCode(v.error.code) && typeof v.error.message === 'string';
}

export function createInterceptorApi(ipc: IpcRendererLike) {
  const listeners = new Listeners<ContractEventArgs>((err, event) => console.error(`interceptor: a "${String(event)}" listener threw`, err));
  let subscribed = false;

  const onEvent = (_event: unknown, message: unknown): void => {
    if (!message || typeof message !== 'object') return;
    const { event, payload } = message as { event?: unknown; payload?: unknown };
    if (!isEventName(event)) return; // only known events are delivered
    listeners.emit(event, payload as never);
  };

  const api = {
    invoke<N extends CommandName>(name: N, args: CommandArgs<N>): Promise<CommandResult<N>> {
      if (!isCommandName(name)) return Promise.reject(replyError('invalid', `unknown command "${String(name)}"`));
      return ipc.invoke(`${IPC_PREFIX}${name}`, args ?? {}).then((reply) => {
        if (!isReply(reply)) throw replyError('internal', `${name}: malformed reply`);
        if (reply.ok) return reply.result as CommandResult<N>;
        throw replyError(reply.error.code, reply.error.message);
      });
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void {
      if (!isEventName(event)) throw new CommandError('invalid', `unknown event "${String(event)}"`);
      if (typeof listener !== 'function') throw new CommandError('invalid', 'listener must be a function');
      listeners.on(event, listener);
      if (!subscribed) {
        ipc.on(IPC_EVENT_CHANNEL, onEvent);
        subscribed = true;
      }
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        listeners.off(event, listener);
        if (subscribed && listeners.size === 0) {
          ipc.removeListener(IPC_EVENT_CHANNEL, onEvent);
          subscribed = false;
        }
      };
    },
  } satisfies InterceptorApi;
  return api;
}

/** The type of `window.interceptor`, derived from the implementation. */
export type PreloadApi = ReturnType<typeof createInterceptorApi>;
/** The global name the preload exposes the API under. */
export const PRELOAD_GLOBAL = 'interceptor';
