// The engine end of the native helper's control channel (native/PROTOCOL.md):
// a CatcherServer listening on a Unix socket in a private 0700 directory, and one
// HelperSession per connected helper (one per P2P app).
//
// Trust: the helper checks SO_PEERCRED of this socket on its side. Node cannot
// read SO_PEERCRED of an accepted Unix socket, so on this side the guards are the
// 0700 directory (only our uid can reach the socket) and the one-time token of
// each expected helper (compared in constant time). Every line is bounded
// (64 KiB) and every message is validated (shape and ranges) before use;
// malformed ones are dropped and logged.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventSource, PendingReplies } from '../../common/rpc.js';
import { CREDIT_RESOURCES } from './session.js';
import { sweepStaleCatcherDirs } from './stale.js';
import type {
  CreditResource,
  HelperEvents,
  HelperFeatures,
  HelperHello,
  HelperSession,
  HelperUsage,
  SliceResult,
} from './session.js';

export const PROTOCOL_VERSION = 1;
export const MAX_LINE_BYTES = 65536;
/** How long a launched helper may take to connect and say hello before its launch fails. */
export const HELPER_CONNECT_TIMEOUT_MS = 15_000;

// ---------------------------------------------------------------------------
// helper binary and argv

/** native/build/interceptor-helper of this repository; env INTERCEPTOR_HELPER overrides. */
export function helperBinaryPath(): string {
  const override = process.env.INTERCEPTOR_HELPER;
  if (override) return override;
  // Works from the sources (electron/engine/catcher) and from dist/ alike:
  // walk up to the directory that holds native/Makefile.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(path.join(dir, 'native', 'Makefile')) || existsSync(path.join(dir, 'native', 'build', 'interceptor-helper'))) {
      return path.join(dir, 'native', 'build', 'interceptor-helper');
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../native/build/interceptor-helper');
}

export interface HelperArgsOptions {
  controlPath: string;
  /** What the helper does if the engine goes away (default 'terminate'). */
  onEngineLoss?: 'terminate' | 'continue';
  /** Period of `usage` events, 10..60000 ms (default 100). */
  usagePeriodMs?: number;
  /** Ask for the paper's dual SCHED_RR priorities (helper 2, app 1). */
  rt?: boolean;
  /** Trap the app's byte, fd-table and memory calls only once a cap applies (PROTOCOL.md). */
  untrappedUntilCapped?: boolean;
  /** Run the app at once, not at the engine's first `cpu` command (an app with no cap launched before the engine: launchUncapped, cli/run.ts). */
  releaseAtOnce?: boolean;
}

/**
 * The helper's argv (without the binary itself): spawn `helperBinaryPath()` with
 * these arguments and env INTERCEPTOR_HELPER_TOKEN set to the token of `expect()`.
 */
export function helperArgs(opts: HelperArgsOptions, command: string, args: readonly string[]): string[] {
  if (!opts.controlPath) throw new TypeError('controlPath is required');
  if (!command) throw new TypeError('command is required');
  const out = ['--control', opts.controlPath, '--on-engine-loss', opts.onEngineLoss ?? 'terminate'];
  if (opts.usagePeriodMs !== undefined) {
    const p = opts.usagePeriodMs;
    if (!Number.isInteger(p) || p < 10 || p > 60000) throw new RangeError('usagePeriodMs must be an integer in [10, 60000]');
    out.push('--usage-period-ms', String(p));
  }
  if (opts.rt) out.push('--rt');
  if (opts.untrappedUntilCapped) out.push('--untrapped-until-capped');
  if (opts.releaseAtOnce) out.push('--release-at-once');
  out.push('--', command, ...args);
  return out;
}

// ---------------------------------------------------------------------------
// bounded line reader

class LineReader {
  private parts: Buffer[] = [];
  private size = 0;
  private discarding = false;
  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onTooLong: () => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) {
        this.append(chunk.subarray(start));
        return;
      }
      this.append(chunk.subarray(start, nl));
      if (this.discarding) {
        this.discarding = false; // reported when it began
      } else {
        const line = Buffer.concat(this.parts, this.size).toString('utf8');
        this.parts = [];
        this.size = 0;
        this.onLine(line);
      }
      this.parts = [];
      this.size = 0;
      start = nl + 1;
    }
  }

  private append(b: Buffer): void {
    if (this.discarding || b.length === 0) return;
    if (this.size + b.length > MAX_LINE_BYTES) {
      this.discarding = true;
      this.parts = [];
      this.size = 0;
      this.onTooLong(); // at once: a peer may never send the newline
      return;
    }
    this.parts.push(b);
    this.size += b.length;
  }
}

// ---------------------------------------------------------------------------
// validation helpers

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER;
const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isStr = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;
const PID_MAX = 4194304;
const CPU_STATES = ['stopped', 'running', 'free'] as const;
const SLICE_ENDS = ['timer', 'stop', 'exit'] as const;
const TREE_EVENTS = ['spawn', 'exec', 'exit'] as const;
const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGKILL', 'SIGUSR1', 'SIGUSR2'] as const;
/** What the helper accepts as a cgroup directory (PROTOCOL.md `cgroup`). */
export const isCgroupPath = (p: string): boolean =>
  p.startsWith('/sys/fs/cgroup/') && p.length < 4096 && !p.includes('..') && !p.includes('\0');
const oneOf = <T extends string>(list: readonly T[], v: unknown): v is T => typeof v === 'string' && (list as readonly string[]).includes(v);

/** Validates a `hello`; returns null if it is not one. */
export function parseHello(m: unknown): (HelperHello & { token: string }) | null {
  if (!isObj(m) || m.type !== 'hello') return null;
  if (!isInt(m.version, 1, 1000) || !isStr(m.token, 256) || m.token.length === 0) return null;
  if (!isInt(m.helperPid, 1, PID_MAX) || !isInt(m.appPid, 1, PID_MAX) || !isInt(m.ncpu, 1, 65536)) return null;
  const f = m.features;
  if (!isObj(f)) return null;
  const keys = ['seccomp', 'ptraceSeize', 'userNotif', 'rt', 'pidfd'] as const;
  if (!keys.every((k) => typeof f[k] === 'boolean')) return null;
  const features: HelperFeatures = {
    seccomp: f.seccomp as boolean,
    ptraceSeize: f.ptraceSeize as boolean,
    userNotif: f.userNotif as boolean,
    rt: f.rt as boolean,
    pidfd: f.pidfd as boolean,
    // added in the notification fast path; an older helper lacks them (= ptrace only)
    notifPath: f.notifPath === true,
    notifSyncWake: f.notifSyncWake === true,
    sockNotif: f.sockNotif === true,
  };
  // (a cgroup v2 directory of the app's own, where its UDP is counted while untrapped; absent from
  // an older helper, null where none could be made)
  if (m.udpCgroup !== undefined && m.udpCgroup !== null && !(isStr(m.udpCgroup, 4096) && isCgroupPath(m.udpCgroup))) return null;
  const udpCgroup = typeof m.udpCgroup === 'string' ? m.udpCgroup : null;
  if (m.udpUncounted !== undefined && m.udpUncounted !== null && !(isStr(m.udpUncounted, 400) && m.udpUncounted.length > 0)) return null;
  const udpUncounted = typeof m.udpUncounted === 'string' ? m.udpUncounted : null;
  return { version: m.version, token: m.token, helperPid: m.helperPid, appPid: m.appPid, features, ncpu: m.ncpu, udpCgroup, udpUncounted };
}

const USAGE_NUMBERS = [
  't', 'cpuNs', 'netUp', 'netDown', 'diskRead', 'diskWrite', 'memBytes',
  'heldNetUp', 'heldNetDown', 'heldDisk', 'heldCalls', 'threads', 'processes',
] as const;

export function parseUsage(m: Obj): HelperUsage | null {
  for (const k of USAGE_NUMBERS) if (!isCount(m[k])) return null;
  if (!oneOf(CPU_STATES, m.cpuState)) return null;
  const credit = perResource(m.credit, (v) => isInt(v, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
  const granted = perResource(m.granted, isCount);
  if (!credit || !granted) return null;
  const u = {} as Record<string, unknown>;
  for (const k of USAGE_NUMBERS) u[k] = m[k];
  u.cpuState = m.cpuState;
  u.credit = credit;
  u.granted = granted;
  return u as unknown as HelperUsage;
}

/** `{netUp, netDown, disk}`, each value passing `valid`; null otherwise. */
function perResource(v: unknown, valid: (x: unknown) => boolean): Record<CreditResource, number> | null {
  if (!isObj(v)) return null;
  const out = {} as Record<CreditResource, number>;
  for (const r of CREDIT_RESOURCES) {
    if (!valid(v[r])) return null;
    out[r] = v[r] as number;
  }
  return out;
}

// ---------------------------------------------------------------------------
// session

class HelperSessionImpl extends EventSource<HelperEvents> implements HelperSession {
  readonly hello: HelperHello;
  lastUsage: HelperUsage | null = null;
  readonly grantsSent: Record<CreditResource, number> = { netUp: 0, netDown: 0, disk: 0 };
  closed = false;
  /** Commands waiting for their `reply`, by id. */
  private readonly replies = new PendingReplies<void>();
  /** `cpu run` commands waiting for their `slice`, by the command's id. */
  private readonly slices = new PendingReplies<SliceResult>();

  constructor(
    private readonly socket: net.Socket,
    hello: HelperHello,
  ) {
    super();
    this.hello = hello;
    socket.on('close', () => {
      if (this.backlog) this.closeHeld = true;
      else this.onClose();
    });
    socket.on('error', () => {
      /* 'close' follows */
    });
  }

  private warn(msg: string): void {
    this.emit('log', 'warn', `catcher: ${msg}`);
  }

  // Lines that arrive with the hello are held until the task after deliver(), so listeners
  // attached right after `await session` see the first events (e.g. the tree spawn of the app
  // itself). The server calls it with the hello, unless the session waits to be taken (held).
  private backlog: string[] | null = [];
  /** The socket closed while lines were held: the close follows them. */
  private closeHeld = false;
  private delivering = false;

  deliver(): void {
    if (this.delivering) return;
    this.delivering = true;
    setImmediate(() => {
      const b = this.backlog ?? [];
      this.backlog = null;
      for (const line of b) this.processLine(line);
      if (this.closeHeld) this.onClose();
    });
  }

  /** One line from the helper (after hello). */
  handleLine(line: string): void {
    if (this.backlog) this.backlog.push(line);
    else this.processLine(line);
  }

  private processLine(line: string): void {
    let m: unknown;
    try {
      m = JSON.parse(line);
    } catch {
      this.warn(`dropped malformed line from helper ${this.hello.helperPid}: not JSON`);
      return;
    }
    if (!isObj(m) || typeof m.type !== 'string') {
      this.warn('dropped message without type');
      return;
    }
    if (!this.dispatch(m)) this.warn(`dropped invalid ${String(m.type).slice(0, 32)} message`);
  }

  private dispatch(m: Obj): boolean {
    switch (m.type) {
      case 'reply': {
        if (!(m.id === null || isInt(m.id, 0, Number.MAX_SAFE_INTEGER)) || typeof m.ok !== 'boolean') return false;
        if (m.error !== undefined && !isStr(m.error, 4096)) return false;
        if (m.id === null) {
          this.warn(`helper refused a message: ${String(m.error ?? '')}`);
          return true;
        }
        // a late reply (after close) finds nothing waiting: harmless
        if (m.ok) this.replies.resolve(m.id, undefined);
        else {
          const err = new Error(`helper: ${String(m.error ?? 'command failed')}`);
          this.slices.reject(m.id, err);
          this.replies.reject(m.id, err);
        }
        return true;
      }
      case 'usage': {
        const u = parseUsage(m);
        if (!u) return false;
        this.lastUsage = u;
        this.emit('usage', u);
        return true;
      }
      case 'demand':
        if (!oneOf(CREDIT_RESOURCES, m.resource) || !isCount(m.bytes)) return false;
        this.emit('demand', m.resource, m.bytes);
        return true;
      case 'slice': {
        if (!isInt(m.id, 0, Number.MAX_SAFE_INTEGER) || !isCount(m.cpuNs) || !isCount(m.wallNs) || !oneOf(SLICE_ENDS, m.ended)) return false;
        if (m.runnable !== undefined && !isInt(m.runnable, 0, 1 << 22)) {
          this.slices.reject(m.id, new Error('helper: invalid slice message'));
          return false;
        }
        this.slices.resolve(m.id, { cpuNs: m.cpuNs, wallNs: m.wallNs, ended: m.ended, runnable: m.runnable ?? null });
        return true;
      }
      case 'wake':
        this.emit('wake');
        return true;
      case 'denied':
        if (m.resource !== 'mem' || !isStr(m.syscall, 64) || !isCount(m.bytes) || !isInt(m.pid, 1, PID_MAX)) return false;
        this.emit('denied', { resource: 'mem', syscall: m.syscall, bytes: m.bytes, pid: m.pid });
        return true;
      case 'tree':
        if (!oneOf(TREE_EVENTS, m.event) || !isInt(m.pid, 1, PID_MAX) || !isInt(m.ppid, 0, PID_MAX) || !isStr(m.comm, 256)) return false;
        this.emit('tree', { event: m.event, pid: m.pid, ppid: m.ppid, comm: m.comm });
        return true;
      case 'exit': {
        const codeOk = m.code === null || isInt(m.code, 0, 255);
        const sigOk = m.signal === null || (isStr(m.signal, 32) && /^SIG[A-Z0-9]+$/.test(m.signal));
        if (!codeOk || !sigOk) return false;
        this.emit('exit', { code: m.code as number | null, signal: m.signal as string | null });
        return true;
      }
      case 'log':
        if (!oneOf(LOG_LEVELS, m.level) || !isStr(m.msg, 8192)) return false;
        this.emit('log', m.level, m.msg);
        return true;
      case 'error':
        if (!isStr(m.error, 4096)) return false;
        this.warn(`helper reported a protocol error: ${m.error}`);
        return true;
      case 'hello':
        this.warn('duplicate hello ignored');
        return true;
      default:
        return false;
    }
  }

  /** The helper sent a line longer than 64 KiB. */
  handleTooLong(): void {
    this.warn('dropped a line longer than 64 KiB from the helper');
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    const err = new Error('helper connection closed');
    this.replies.rejectAll(err);
    this.slices.rejectAll(err);
    this.emit('close');
  }

  private command(fields: Record<string, string | number | boolean | null>): { id: number; done: Promise<void> } {
    if (this.closed) return { id: 0, done: Promise.reject(new Error('helper connection closed')) };
    const { id, reply } = this.replies.open();
    this.socket.write(JSON.stringify({ ...fields, id }) + '\n');
    return { id, done: reply };
  }

  grant(resource: CreditResource, bytes: number): Promise<void> {
    if (!oneOf(CREDIT_RESOURCES, resource)) return Promise.reject(new RangeError(`unknown resource ${String(resource)}`));
    if (!Number.isFinite(bytes) || bytes < 0 || bytes > 1e15) return Promise.reject(new RangeError('bytes must be in [0, 1e15]'));
    const whole = Math.floor(bytes);
    const { done } = this.command({ type: 'grant', resource, bytes: whole });
    if (!this.closed) this.grantsSent[resource] += whole; // (sent: command writes unless closed)
    return done;
  }

  setLimitMode(resource: CreditResource, mode: 'credit' | 'unlimited'): Promise<void> {
    if (!oneOf(CREDIT_RESOURCES, resource)) return Promise.reject(new RangeError(`unknown resource ${String(resource)}`));
    if (mode !== 'credit' && mode !== 'unlimited') return Promise.reject(new RangeError('mode must be credit or unlimited'));
    return this.command({ type: 'limit', resource, mode }).done;
  }

  setMemCeiling(bytes: number | null): Promise<void> {
    if (bytes !== null && (!Number.isFinite(bytes) || bytes < 0 || bytes > Number.MAX_SAFE_INTEGER)) {
      return Promise.reject(new RangeError('bytes must be null or a non-negative safe integer'));
    }
    return this.command({ type: 'memCeiling', bytes: bytes === null ? null : Math.floor(bytes) }).done;
  }

  runSlice(ms: number): Promise<SliceResult> {
    if (!Number.isFinite(ms) || ms < 1 || ms > 3600000) return Promise.reject(new RangeError('ms must be in [1, 3600000]'));
    if (this.closed) return Promise.reject(new Error('helper connection closed'));
    const { id, done } = this.command({ type: 'cpu', action: 'run', ms });
    // A refused `run` rejects the slice too (see dispatch); `done` itself needs no handler then.
    done.catch(() => undefined);
    return this.slices.await(id);
  }

  stop(): Promise<void> {
    return this.command({ type: 'cpu', action: 'stop' }).done;
  }

  free(): Promise<void> {
    return this.command({ type: 'cpu', action: 'free' }).done;
  }

  setUsagePeriod(ms: number): Promise<void> {
    if (!Number.isInteger(ms) || ms < 10 || ms > 60000) return Promise.reject(new RangeError('usage period must be an integer in [10, 60000] ms'));
    return this.command({ type: 'config', usagePeriodMs: ms }).done;
  }

  setOnEngineLoss(policy: 'terminate' | 'continue'): Promise<void> {
    if (policy !== 'terminate' && policy !== 'continue') return Promise.reject(new RangeError('policy must be terminate or continue'));
    return this.command({ type: 'config', onEngineLoss: policy }).done;
  }

  setCgroup(app: string, parent: string): Promise<void> {
    for (const dir of [app, parent]) {
      if (!isCgroupPath(dir)) return Promise.reject(new RangeError(`not a cgroup directory: ${dir}`));
    }
    return this.command({ type: 'cgroup', app, parent }).done;
  }

  requestUsage(): Promise<void> {
    return this.command({ type: 'report' }).done;
  }

  signal(name: 'SIGTERM' | 'SIGINT' | 'SIGHUP' | 'SIGKILL' | 'SIGUSR1' | 'SIGUSR2'): Promise<void> {
    if (!oneOf(SIGNALS, name)) return Promise.reject(new RangeError(`signal ${String(name)} not allowed`));
    return this.command({ type: 'signal', signal: name }).done;
  }

  terminate(graceMs: number): Promise<void> {
    if (!Number.isFinite(graceMs) || graceMs < 0 || graceMs > 60000) return Promise.reject(new RangeError('graceMs must be in [0, 60000]'));
    return this.command({ type: 'terminate', graceMs: Math.floor(graceMs) }).done;
  }

  /** Close the engine end (the helper then applies its engine-loss policy). */
  destroy(): void {
    this.socket.destroy();
  }
}

// ---------------------------------------------------------------------------
// server

interface Expectation {
  token: Buffer;
  resolve: (s: HelperSession) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  /** Its session's messages wait for deliver() (expect's `held`). */
  held: boolean;
}

export interface CatcherServerOptions {
  /** Parent of the private socket directory; default $XDG_RUNTIME_DIR or os.tmpdir(). */
  baseDir?: string;
  /** Receives diagnostics about rejected connections and malformed input. */
  log?: (level: 'info' | 'warn', msg: string) => void;
  /** How long a connection may take to send its hello (default 10 s). */
  helloTimeoutMs?: number;
}

export class CatcherServer {
  readonly path: string;
  readonly dir: string;
  private readonly server: net.Server;
  private readonly expected = new Map<string, Expectation>();
  private readonly sockets = new Set<net.Socket>();
  private readonly log: (level: 'info' | 'warn', msg: string) => void;
  private readonly helloTimeoutMs: number;
  private closing = false;

  private constructor(dir: string, opts: CatcherServerOptions) {
    this.dir = dir;
    this.path = path.join(dir, 'catcher.sock');
    this.log = opts.log ?? (() => undefined);
    this.helloTimeoutMs = opts.helloTimeoutMs ?? 10000;
    this.server = net.createServer((s) => this.onConnection(s));
  }

  /** Listens on a Unix socket in a fresh 0700 directory. */
  static async listen(opts: CatcherServerOptions = {}): Promise<CatcherServer> {
    const runtime = process.env.XDG_RUNTIME_DIR;
    const base = opts.baseDir ?? (runtime && existsSync(runtime) ? runtime : os.tmpdir());
    const dir = mkdtempSync(path.join(base, 'interceptor-catcher-')); // mkdtemp creates it 0700
    const s = new CatcherServer(dir, opts);
    await s.listenOn(s.path);
    // (in the background: nothing waits for it)
    void sweepStaleCatcherDirs(base).catch(() => undefined);
    return s;
  }

  /**
   * Listens on the socket the front opened (native/src/front.c: `bin/interceptor run -- CMD`
   * starts the helper before node), named as listen() names its own: `dir`/catcher.sock, `dir`
   * a fresh 0700 directory, removed by close() as listen()'s is.
   */
  static async adopt(fd: number, dir: string, opts: CatcherServerOptions = {}): Promise<CatcherServer> {
    const s = new CatcherServer(dir, opts);
    await s.listenOn({ fd });
    return s;
  }

  /** Listens on a path (listen) or an inherited socket (adopt). */
  private listenOn(target: string | { fd: number }): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(target, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /**
   * Prepare for one helper: returns the token to hand it (env
   * INTERCEPTOR_HELPER_TOKEN) and the session it will open. The promise rejects
   * after `timeoutMs` (default HELPER_CONNECT_TIMEOUT_MS) or when cancelled / the server closes.
   * `held`: its messages wait for the session's deliver() (an app launched before the engine
   * could take it: launchUncapped, cli/run.ts), not just for the task after the hello.
   * `token`: the one a helper started before us was given (the front's: 64 hex digits).
   */
  expect(opts: { timeoutMs?: number; held?: boolean; token?: string } = {}): { token: string; session: Promise<HelperSession> } {
    if (opts.token !== undefined && !/^[0-9a-f]{64}$/.test(opts.token)) throw new RangeError('a helper token is 64 hex digits');
    const token = opts.token ?? randomBytes(32).toString('hex');
    const session = new Promise<HelperSession>((resolve, reject) => {
      if (this.closing) {
        reject(new Error('catcher server closed'));
        return;
      }
      const timer = setTimeout(() => {
        this.expected.delete(token);
        reject(new Error('helper did not connect in time'));
      }, opts.timeoutMs ?? HELPER_CONNECT_TIMEOUT_MS);
      timer.unref();
      this.expected.set(token, { token: Buffer.from(token), resolve, reject, timer, held: opts.held ?? false });
    });
    return { token, session };
  }

  /** Give up waiting for the helper with this token (e.g. it failed to start). */
  cancel(token: string, reason = 'cancelled'): void {
    const e = this.expected.get(token);
    if (!e) return;
    clearTimeout(e.timer);
    this.expected.delete(token);
    e.reject(new Error(reason));
  }

  private match(token: string): Expectation | undefined {
    const t = Buffer.from(token);
    let found: Expectation | undefined;
    for (const e of this.expected.values()) {
      // constant time per candidate; lengths are public (all tokens are 64 hex chars)
      if (e.token.length === t.length && timingSafeEqual(e.token, t)) found = e;
    }
    return found;
  }

  private onConnection(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let session: HelperSessionImpl | null = null;
    const timer = setTimeout(() => {
      if (!session) {
        this.log('warn', 'catcher: a connection sent no hello in time; closed');
        socket.destroy();
      }
    }, this.helloTimeoutMs);
    timer.unref();
    // (one that closes before its hello, such as another engine's sweep probing us, says nothing)
    socket.once('close', () => {
      if (!session) clearTimeout(timer);
    });
    const reader = new LineReader(
      (line) => {
        if (session) {
          session.handleLine(line);
          return;
        }
        let m: unknown;
        try {
          m = JSON.parse(line);
        } catch {
          m = null;
        }
        const hello = parseHello(m);
        if (!hello) {
          this.log('warn', 'catcher: first message was not a valid hello; connection closed');
          socket.destroy();
          return;
        }
        const exp = this.match(hello.token);
        if (!exp) {
          this.log('warn', 'catcher: hello with an unknown token; connection closed');
          socket.destroy();
          return;
        }
        clearTimeout(timer);
        clearTimeout(exp.timer);
        this.expected.delete(exp.token.toString());
        if (hello.version !== PROTOCOL_VERSION) {
          socket.destroy();
          exp.reject(new Error(`helper speaks protocol ${hello.version}, engine ${PROTOCOL_VERSION}`));
          return;
        }
        const { token: _token, ...pub } = hello;
        void _token;
        session = new HelperSessionImpl(socket, pub);
        exp.resolve(session);
        if (!exp.held) session.deliver();
      },
      () => {
        if (session) session.handleTooLong();
        else {
          this.log('warn', 'catcher: over-long line before hello; connection closed');
          socket.destroy();
        }
      },
    );
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
  }

  /** Stop listening, close every helper connection, remove the directory. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const e of this.expected.values()) {
      clearTimeout(e.timer);
      e.reject(new Error('catcher server closed'));
    }
    this.expected.clear();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Closes the engine end of a session (tests and shutdown paths use it to simulate engine loss). */
export function destroySession(s: HelperSession): void {
  if (s instanceof HelperSessionImpl) s.destroy();
}
