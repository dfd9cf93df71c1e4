// A helper the engine did not start: `interceptor exec-adopted` (systemd's ExecStart of an
// adopted unit) runs it with a one-time token the engine handed out. It has no terminal of
// ours; it is known by its session alone, and it is gone when that session closes. So is the
// helper the front started before node (native/src/front.c), whose pid is known from the start.
import type { HelperSession } from '../catcher/session.js';
import { NO_TERMINAL, type ExitStatus, type LaunchedApp } from './creator.js';

export function externalLaunch(session: Promise<HelperSession>, knownPid = 0): LaunchedApp {
  let resolveExit!: (s: ExitStatus) => void;
  const exited = new Promise<ExitStatus>((r) => (resolveExit = r));
  let helperPid = knownPid;
  let gone = false;
  const end = (s: ExitStatus) => {
    gone = true;
    resolveExit(s);
  };
  session.then(
    (s) => {
      helperPid = s.hello.helperPid;
      let status: ExitStatus = { code: null, signal: null };
      s.on('exit', (st) => {
        status = st;
      });
      if (s.closed) end(status);
      else s.on('close', () => end(status));
    },
    () => end({ code: null, signal: null }), // it never connected
  );
  return {
    get pid() {
      return helperPid;
    },
    session,
    exited,
    ...NO_TERMINAL,
    kill: (signal) => {
      if (gone || helperPid <= 0) return;
      try {
        process.kill(helperPid, signal);
      } catch {
        // already gone
      }
    },
    detach: () => undefined,
  };
}
