// The errors of the contract: a code a program can test and a message a person can read,
// and the one mapping of any error to them, used by every surface (the engine's invoke,
// the WebSocket server and its clients, the Electron IPC handlers and the preload).
// Pure: the dashboard imports it as it is.

export const ERROR_CODES = ['invalid', 'notFound', 'conflict', 'sharesExceedCap', 'capExceedsCapacity', 'unavailable', 'unauthorized', 'internal'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The error every surface reports: a code a program can test and a message a person can read. */
export class CommandError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

const CODES: ReadonlySet<unknown> = new Set(ERROR_CODES);

export function isErrorCode(code: unknown): code is ErrorCode {
  return CODES.has(code);
}

/** What a reply carries for a failed command. */
export interface ErrorReply {
  code: ErrorCode;
  message: string;
}

/**
 * Any error in the contract's terms: a CommandError as it is; an error that carries one of the
 * codes keeps it; anything else is 'internal', with its message.
 */
export function toCommandError(error: unknown): CommandError {
  if (error instanceof CommandError) return error;
  if (error && typeof error === 'object' && 'code' in error && isErrorCode(error.code)) {
    return new CommandError(error.code, String((error as { message?: unknown }).message ?? 'error'));
  }
  const message = (error as { message?: unknown } | null | undefined)?.message;
  return new CommandError('internal', typeof message === 'string' ? message : String(error));
}

/** The reply of a failed command. */
export function errorReply(error: unknown): ErrorReply {
  const e = toCommandError(error);
  return { code: e.code, message: e.message };
}

/** The error a client raises for a reply it received (an unknown code is 'internal'). */
export function errorFromReply(reply: unknown): CommandError {
  const r = (reply && typeof reply === 'object' ? reply : {}) as { code?: unknown; message?: unknown };
  const message = typeof r.message === 'string' ? r.message : 'The engine reported an error.';
  return new CommandError(isErrorCode(r.code) ? r.code : 'internal', message);
}
