// The engine's link to the catcher module (electron/engine/catcher, owned by the
// native engineer): the control-socket server and the helper's argv.
import { CatcherServer, helperArgs, helperBinaryPath } from './catcher/index.js';
import type { HelperSession } from './catcher/session.js';

export interface CatcherServerLike {
  readonly path: string;
  expect(): { token: string; session: Promise<HelperSession>; cancel?: () => void };
  close(): Promise<void>;
}

export interface HelperArgsInput {
  controlPath: string;
  onEngineLoss: 'terminate' | 'continue';
  rt: boolean;
  command: string;
  args: string[];
}

export interface CatcherModule {
  helperBinaryPath(): string;
  helperArgs(input: HelperArgsInput): string[];
  createServer(): Promise<CatcherServerLike>;
}

export async function loadCatcher(): Promise<CatcherModule | { error: string }> {
  return {
    helperBinaryPath,
    helperArgs: (i) => helperArgs({ controlPath: i.controlPath, onEngineLoss: i.onEngineLoss, usagePeriodMs: 100, rt: i.rt }, i.command, i.args),
    async createServer() {
      const server = await CatcherServer.listen({});
      return {
        path: server.path,
        expect() {
          const e = server.expect({ timeoutMs: 20_000 });
          return { ...e, cancel: () => server.cancel(e.token, 'the helper exited before connecting') };
        },
        close: () => server.close(),
      };
    },
  };
}
