// Shared harness of the native helper tests: starts the real helper on a real
// program through the real CatcherServer/HelperSession, records its events, and
// cleans every process up. Not a test file itself.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CatcherServer, helperArgs, helperBinaryPath } from '../../electron/engine/catcher/index.js';
import type { HelperSession, HelperUsage } from '../../electron/engine/catcher/index.js';
import { nativeBin } from '../../bench/lib/helper-apps.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const HELPER = helperBinaryPath();

// Sanitizer builds of the helper (`make -C native sanitizers`; scripts/run-tests.mjs
// points INTERCEPTOR_HELPER at them): the first report ends the helper with exit code
// 86, and cleanup() fails the test on any report in its stderr. LeakSanitizer runs
// once, at the helper's exit (state still reachable from globals is not a leak).
const SANITIZER_ENV: Record<string, string> = {
  ASAN_OPTIONS: 'halt_on_error=1:exitcode=86:detect_leaks=1',
  UBSAN_OPTIONS: 'halt_on_error=1:exitcode=86:print_stacktrace=1',
  TSAN_OPTIONS: 'halt_on_error=1:exitcode=86:second_deadlock_stack=1',
};
/** The helper under test is a sanitizer build: several times slower, so its latencies say nothing. */
export const SANITIZED_HELPER = /build-(asan|tsan)/.test(HELPER);
const SANITIZER_REPORT = /ERROR: AddressSanitizer|ERROR: LeakSanitizer|WARNING: ThreadSanitizer|ERROR: ThreadSanitizer|runtime error:/;

/** Throws with the report if the helper's stderr holds a sanitizer report. */
export function assertNoSanitizerReport(stderr: string): void {
  const at = stderr.search(SANITIZER_REPORT);
  if (at >= 0) throw new Error(`sanitizer report from the helper:\n${stderr.slice(Math.max(0, at - 200), at + 4000)}`);
}
export const bin = nativeBin;

/** Fails (never skips) with a clear message when a prerequisite is missing. */
export function requireFile(file: string, hint: string): void {
  if (!existsSync(file)) throw new Error(`prerequisite missing: ${file} (${hint})`);
}

export function requireBuilt(): void {
  requireFile(HELPER, 'build it with `make -C native`');
  for (const p of ['io', 'spinner', 'forker', 'memhog', 'waitloop', 'wakespin', 'thief']) requireFile(bin(p), 'build it with `make -C native`');
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 10000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Process state letter from /proc (R, S, T, t, Z, ...) or null when gone. */
export function procState(pid: number): string | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

/** utime+stime in clock ticks from /proc/pid/stat (whole thread group). */
export function procTicks(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

export const goneOrZombie = (pid: number): boolean => {
  const st = procState(pid);
  return st === null || st === 'Z' || st === 'X';
};

export interface App {
  server: CatcherServer;
  session: HelperSession;
  helper: ChildProcess;
  appPid: number;
  tree: { event: string; pid: number; ppid: number; comm: string }[];
  demands: { resource: string; bytes: number }[];
  denied: { syscall: string; bytes: number; pid: number }[];
  logs: string[];
  stdout: () => string;
  stderr: () => string;
  /** Everything the app wrote to stdout, once the pipe has ended (after `exited`). */
  output: () => Promise<string>;
  /** Resolves with the `exit` event. */
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** Resolves with the helper process's own exit status. */
  helperExited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  usage: () => Promise<HelperUsage>;
  cleanup: () => Promise<void>;
}

export interface StartOptions {
  onEngineLoss?: 'terminate' | 'continue';
  usagePeriodMs?: number;
  env?: Record<string, string>;
  cwd?: string;
  /** Release the app at once with `cpu free` (default true). */
  free?: boolean;
  rt?: boolean;
  /** --untrapped-until-capped */
  untrapped?: boolean;
  /** The app's stdin: a pipe the test writes to (app.helper.stdin), or /dev/null (default). */
  stdin?: 'pipe' | 'ignore';
  /** A command the helper runs under, e.g. ['ip', 'netns', 'exec', NS]. */
  prefix?: string[];
}

const live = new Set<App>();

export async function startApp(command: string, args: string[], opts: StartOptions = {}): Promise<App> {
  requireFile(HELPER, 'build it with `make -C native` (sanitizer builds: `make -C native sanitizers`)');
  const server = await CatcherServer.listen();
  const { token, session: sessionP } = server.expect({ timeoutMs: 15000 });
  const argv = helperArgs(
    { controlPath: server.path, onEngineLoss: opts.onEngineLoss ?? 'terminate', usagePeriodMs: opts.usagePeriodMs ?? 100, rt: opts.rt ?? false, untrappedUntilCapped: opts.untrapped ?? false },
    command,
    args,
  );
  const [file, ...fileArgs] = [...(opts.prefix ?? []), HELPER, ...argv];
  const helper = spawn(file!, fileArgs, {
    env: { ...SANITIZER_ENV, ...process.env, ...opts.env, INTERCEPTOR_HELPER_TOKEN: token },
    cwd: opts.cwd,
    stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  helper.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  helper.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const helperExited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    helper.on('exit', (code, signal) => resolve({ code, signal })),
  );
  // (a helper that exits at once may still have sent its hello: give the socket time)
  void helperExited.then((st) =>
    setTimeout(() => server.cancel(token, `helper exited before connecting (${JSON.stringify(st)}): ${err}`), 1000),
  );
  let session: HelperSession;
  try {
    session = await sessionP;
  } catch (e) {
    helper.kill('SIGKILL');
    await server.close();
    throw e;
  }
  // A helper that dies without its `exit` event (a crash, a sanitizer report) fails a
  // test awaiting `exited` instead of hanging it; tests that kill the helper on
  // purpose never await it, hence the no-op catch.
  // The `exit` event comes over the control socket and can overtake the app's last output in
  // the stdout pipe: `output()` waits for the pipe's end (the helper exits right after the app;
  // at most 500 ms for one that stays).
  const outputEnded = new Promise<void>((resolve) => helper.stdout!.once('end', resolve));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
    session.on('exit', resolve);
    void helperExited.then((st) =>
      setTimeout(() => reject(new Error(`helper exited (${JSON.stringify(st)}) without an exit event: ${err.slice(0, 4000)}`)), 1000).unref(),
    );
  });
  exited.catch(() => {});
  const app: App = {
    server,
    session,
    helper,
    appPid: session.hello.appPid,
    tree: [],
    demands: [],
    denied: [],
    logs: [],
    stdout: () => out,
    output: async () => {
      await Promise.race([outputEnded, sleep(500)]);
      return out;
    },
    stderr: () => err,
    exited,
    helperExited,
    usage: async () => {
      await session.requestUsage();
      return session.lastUsage!;
    },
    cleanup: async () => {
      live.delete(app);
      if (helper.exitCode === null && helper.signalCode === null) helper.kill('SIGKILL');
      await helperExited;
      // EXITKILL has killed the tree; make sure nothing of it outlives the test.
      for (const t of app.tree) {
        try {
          process.kill(t.pid, 0);
          if (!goneOrZombie(t.pid)) process.kill(t.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await server.close();
      assertNoSanitizerReport(err);
    },
  };
  session.on('tree', (t) => app.tree.push(t));
  session.on('demand', (resource, bytes) => app.demands.push({ resource, bytes }));
  session.on('denied', (d) => app.denied.push(d));
  session.on('log', (level, msg) => app.logs.push(`${level}: ${msg}`));
  live.add(app);
  if (opts.free ?? true) {
    await session.free().catch((e: unknown) => {
      if (!session.closed) throw e; // an app that already exited cannot be released
    });
  }
  return app;
}

/** A loopback TCP server that counts what it receives (and answers a half-close with its own). */
export async function sink(): Promise<{ port: number; received: () => number; close: () => void }> {
  let received = 0;
  const server = net.createServer((s) => {
    s.on('data', (d: Buffer) => (received += d.length));
    s.on('error', () => undefined);
    s.on('end', () => s.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, received: () => received, close: () => server.close() };
}

/** A UDP echo peer on `host`: every datagram back to its sender; counts what it received. */
export async function udpEcho(host: string): Promise<{ port: number; received: () => number; close: () => void }> {
  const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  let received = 0;
  sock.on('message', (m, r) => {
    received += m.length;
    sock.send(m, r.port, r.address);
  });
  await new Promise<void>((r) => sock.bind(0, host, r));
  return { port: sock.address().port, received: () => received, close: () => sock.close() };
}

/** For test.after(): kill whatever a failed test left behind. */
/** Runs app in slices of sliceMs until it exits (or maxSlices): how many, and the longest wall
 * time one took (a stop that waits for a thread shows here). */
export async function sliceUntilExit(app: App, sliceMs: number, maxSlices: number): Promise<{ slices: number; worstNs: number; done: boolean }> {
  let slices = 0;
  let worstNs = 0;
  let done = false;
  void app.exited.then(() => (done = true));
  while (!done && slices < maxSlices) {
    const r = await app.session.runSlice(sliceMs).catch(() => null);
    if (!r) break;
    slices++;
    worstNs = Math.max(worstNs, r.wallNs);
  }
  return { slices, worstNs, done };
}

export async function cleanupAll(): Promise<void> {
  // every app, even when one's cleanup fails (a sanitizer report): then fail after
  const errors: unknown[] = [];
  for (const a of [...live]) await a.cleanup().catch((e: unknown) => errors.push(e));
  if (errors.length > 0) throw errors[0];
}

export function tmpDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'interceptor-native-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A shell command that writes file back and drops it from the page cache, so that the next read
 * of it comes from storage (a disk read is what the disk did: one the page cache serves is none).
 */
export function dropCache(file: string): string {
  const f = `'${file.replace(/'/g, `'\\''`)}'`;
  return `sync ${f} && dd if=${f} iflag=nocache count=0 status=none`;
}

/**
 * Starts `io after-stdin ARGS` (disk unlimited) and waits until its loader is done and it waits
 * for its stdin; `go()` lets it on. A test sets its disk cap in between, so that the loader's
 * library reads (from the page cache: no disk reads, but a read reserves credit until it ends)
 * are not in the way.
 */
export async function startAfterStdin(args: string[], opts: StartOptions = {}): Promise<{ app: App; go: () => void }> {
  const app = await startApp(bin('io'), ['after-stdin', ...args], { ...opts, stdin: 'pipe' });
  await waitFor('io waiting for its stdin', () => {
    try {
      return readFileSync(`/proc/${app.appPid}/syscall`, 'utf8').startsWith('0 0x0 ');
    } catch {
      return false;
    }
  });
  return { app, go: () => void app.helper.stdin!.write('g') };
}

/** What `io file` says the kernel counted it as read from storage ("read_bytes N"). */
export function storedBytes(output: string): number {
  return Number(/^read_bytes (\d+)$/m.exec(output)?.[1] ?? NaN);
}

/**
 * Runs each command once natively first, so that what its start reads from storage on a machine
 * fresh from boot (a cold library's readahead, the program's own blocks) is cached before a test
 * counts disk reads exactly: the helper rightly charges those reads to the app. (Both exact-read
 * tests of bytes.test.ts once failed on a fresh machine, by one page and by 71; a run after
 * `drop_caches` did not reproduce it.)
 */
export function warmUp(...commands: string[][]): void {
  for (const [cmd, ...args] of commands) spawnSync(cmd!, args, { stdio: 'ignore', timeout: 10_000 });
}

/** diskRead of `io noop`: the dynamic loader's own reads of the libraries (the same for every `io` mode). */
export async function baselineRead(): Promise<number> {
  warmUp([bin('io'), 'noop']);
  const a = await startApp(bin('io'), ['noop']);
  try {
    await a.exited;
    return a.session.lastUsage!.diskRead;
  } finally {
    await a.cleanup();
  }
}
