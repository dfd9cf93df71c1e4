// Message shapes on the Electron IPC channels of the contract (types only: the
// preload and ipc-handlers both import them, nothing here runs).
import type { EventName, EventPayloads } from '../common/contract.js';
import type { ErrorReply } from '../common/errors.js';

/** What every `${IPC_PREFIX}${command}` handler resolves to: handlers never reject, so the error code survives IPC. */
export type IpcReply = { ok: true; result: unknown } | { ok: false; error: ErrorReply };

/** What the main process sends on IPC_EVENT_CHANNEL. */
export type IpcEventMessage = { [E in EventName]: { event: E; payload: EventPayloads[E] } }[EventName];
