// What the rest of the bridge needs from a transport: the contract's InterceptorApi
// plus the state of the connection. Two implementations: Electron's preload API and
// the WebSocket of `interceptor serve`.
import type { InterceptorApi } from '../../../electron/common/contract.js';
import { ERROR_CODES, isErrorCode, type ErrorCode } from '../../../electron/common/errors.js';

export type ConnectionStatus =
  | 'connecting' // first attempt
  | 'open'
  | 'reconnecting' // lost after having been open, or never reached yet: retrying
  | 'unauthorized' // the engine refused the token: retrying will not help
  | 'closed'; // closed by us

export interface ConnectionInfo {
  status: ConnectionStatus;
  /** Consecutive failed attempts since the connection was last open. */
  attempt: number;
  /** When the next attempt starts (ms since epoch), while reconnecting. */
  retryAt: number | null;
  detail: string | null;
}

export interface Transport extends InterceptorApi {
  readonly kind: 'electron' | 'websocket';
  /** Listener is called at once with the current state, then on every change. */
  onConnection(listener: (info: ConnectionInfo) => void): () => void;
  /** Try again now instead of waiting for the next retry. */
  retryNow(): void;
  close(): void;
}

/** A message fit for the screen, from whatever a transport threw. */
export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // Electron wraps handler errors: "Error invoking remote method 'x': CommandError: msg".
  return text.replace(/^Error invoking remote method '[^']*':\s*/, '').replace(/^(Command)?Error:\s*/, '');
}

/** The contract's code of a failed command; from the message when only a message crossed (Electron IPC). */
const CODE_IN_MESSAGE = new RegExp(`\\b(${ERROR_CODES.join('|')})\\b`);
export function errorCode(error: unknown): ErrorCode | null {
  if (error && typeof error === 'object' && 'code' in error && isErrorCode(error.code)) return error.code;
  const m = CODE_IN_MESSAGE.exec(errorMessage(error));
  return m && isErrorCode(m[1]) ? m[1] : null;
}
