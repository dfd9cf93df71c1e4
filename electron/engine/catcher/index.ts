// The engine's Catcher: one native helper per P2P app, reached over a Unix socket.
export * from './session.js';
export {
  CatcherServer,
  destroySession,
  helperArgs,
  helperBinaryPath,
  HELPER_CONNECT_TIMEOUT_MS,
  MAX_LINE_BYTES,
  parseHello,
  parseUsage,
  PROTOCOL_VERSION,
} from './helper-session.js';
export type { CatcherServerOptions, HelperArgsOptions } from './helper-session.js';
