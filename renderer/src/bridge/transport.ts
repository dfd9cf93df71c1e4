// What the rest of the bridge needs from a transport: the contract's InterceptorApi
// plus the state of the connection. Two implementations: Electron's preload API and
// the WebSocket of `interceptor serve`.
import type { ErrorCode, InterceptorApi } from '../../../electron/common/contract.js';

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

/** A failed command: the engine's error code and a message a person can read. */
export class BridgeError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BridgeError';
  }
}

/** A message fit for the screen, from whatever a transport threw. */
export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // Electron wraps handler errors: "Error invoking remote method 'x': CommandError: msg".
  return text.replace(/^Error invoking remote method '[^']*':\s*/, '').replace(/^(Command|Bridge)?Error:\s*/, '');
}

export function errorCode(error: unknown): ErrorCode | null {
  if (error && typeof error === 'object' && 'code' in error && typeof (error as { code: unknown }).code === 'string') {
    return (error as { code: ErrorCode }).code;
  }
  const m = /\b(invalid|notFound|conflict|sharesExceedCap|capExceedsCapacity|unavailable|unauthorized|internal)\b/.exec(errorMessage(error));
  return m ? (m[1] as ErrorCode) : null;
}
