// Every process of a swarm: started in its own process group (so a signal reaches
// its whole tree: `interceptor run`, the helper and the client), its output kept in
// a log file, and marked with INTERCEPTOR_SWARM=<id> in its environment, which its
// descendants inherit. The mark is what finds a process that left its group or was
// reparented, so stopping the swarm ends every one of them.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync, readlinkSync, statSync, writeSync } from 'node:fs';
import * as pty from 'node-pty';
import { killMarkedSync as killMarkedOf, markedPids as markedPidsOf } from '../../../scripts/marked-processes.mjs';

export const MARKER_ENV = 'INTERCEPTOR_SWARM';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ExitStatus {
  code: number | null;
  signal: string | null;
}

export interface Proc {
  name: string;
  /** Also its process group id. */
  pid: number;
  exited: Promise<ExitStatus>;
  running(): boolean;
  /** The last `bytes` of its output (stdout and stderr, or the terminal). */
  logTail(bytes?: number): string;
}

export interface SpawnOptions {
  cwd: string;
  log: string;
  env?: Record<string, string>;
  /** Run it on a pseudo-terminal (node-pty): for programs that need one, such as rtorrent. */
  tty?: boolean;
}

export class ProcessSet {
  private readonly procs: Proc[] = [];

  constructor(readonly id: string) {}

  get all(): readonly Proc[] {
    return this.procs;
  }

  spawn(name: string, argv: readonly string[], opts: SpawnOptions): Proc {
    const env = childEnv(this.id, opts.env);
    const proc = opts.tty ? spawnPty(name, argv, opts, env) : spawnPiped(name, argv, opts, env);
    this.procs.push(proc);
    return proc;
  }

  /** SIGTERM to every group, SIGKILL after `graceMs`, then SIGKILL to whatever still carries the mark. */
  async stopAll(graceMs = 1500): Promise<void> {
    for (const p of this.procs) signalGroup(p.pid, 'SIGTERM');
    await Promise.race([Promise.all(this.procs.map((p) => p.exited)), sleep(graceMs)]);
    for (const p of this.procs) signalGroup(p.pid, 'SIGKILL');
    await killMarked(this.id);
  }
}

/** The environment of a swarm process: ours, without the test runner's own variables, plus the mark. */
function childEnv(id: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'NODE_TEST_CONTEXT') env[k] = v;
  return { ...env, ...extra, [MARKER_ENV]: id };
}

function spawnPiped(name: string, argv: readonly string[], opts: SpawnOptions, env: Record<string, string>): Proc {
  const fd = openSync(opts.log, 'a');
  const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, env, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let status: ExitStatus | null = null;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('error', (e) => resolve((status = { code: 127, signal: String(e) })));
    child.once('exit', (code, signal) => resolve((status = { code, signal })));
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${argv[0]}`);
  return { name, pid: child.pid, exited, running: () => status === null, logTail: (n) => tail(opts.log, n) };
}

function spawnPty(name: string, argv: readonly string[], opts: SpawnOptions, env: Record<string, string>): Proc {
  const fd = openSync(opts.log, 'a');
  const term = pty.spawn(argv[0]!, argv.slice(1), { name: 'xterm', cols: 120, rows: 40, cwd: opts.cwd, env });
  let status: ExitStatus | null = null;
  term.onData((d) => {
    if (status === null) writeSync(fd, d);
  });
  const exited = new Promise<ExitStatus>((resolve) =>
    term.onExit(({ exitCode, signal }) => {
      closeSync(fd);
      resolve((status = { code: exitCode, signal: signal ? String(signal) : null }));
    }),
  );
  return { name, pid: term.pid, exited, running: () => status === null, logTail: (n) => tail(opts.log, n) };
}

function tail(file: string, bytes = 4000): string {
  try {
    const text = readFileSync(file, 'latin1');
    return text.slice(-bytes);
  } catch {
    return '';
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* the group is gone */
  }
}

/** Live (not zombie) processes whose environment carries INTERCEPTOR_SWARM=<id>. */
export function markedPids(id: string): number[] {
  return markedPidsOf(MARKER_ENV, id);
}

/** SIGKILL every marked process until none is left (or 5 s pass). */
export async function killMarked(id: string): Promise<void> {
  const end = Date.now() + 5000;
  while (killMarkedSync(id) > 0 && Date.now() < end) await sleep(50);
}

/** SIGKILL every marked process once; returns how many there were. Synchronous: usable at process exit. */
export function killMarkedSync(id: string): number {
  return killMarkedOf(MARKER_ENV, id);
}

/** Thread ids of a process (none if it is gone). */
function tasksOf(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
}

/** The process and its descendants (children of every thread), depth first. */
export function processTree(root: number): number[] {
  const out: number[] = [];
  const visit = (pid: number) => {
    out.push(pid);
    for (const tid of tasksOf(pid)) {
      let children = '';
      try {
        children = readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1');
      } catch {
        continue;
      }
      for (const c of children.split(' ')) if (c.trim()) visit(Number(c));
    }
  };
  visit(root);
  return out;
}

/** Inodes of the sockets a process holds open. */
export function socketInodes(pid: number, into: Set<number>): void {
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) into.add(Number(m[1]));
    } catch {
      /* closed meanwhile */
    }
  }
}

/** Base name of a process's executable, or null if it is gone. */
export function exeName(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '').split('/').pop() ?? null;
  } catch {
    return null;
  }
}

/**
 * Where each thread of a client's processes (the tree under root, Interceptor's own left out)
 * waits: state, kernel wait channel and system call number — for the message of a stalled
 * transfer (a call held by the helper waits in `seccomp_do_user_notification`).
 */
export function clientThreadsReport(root: number): string {
  const lines: string[] = [];
  const read = (file: string): string => {
    try {
      return readFileSync(file, 'latin1').trim();
    } catch {
      return '?';
    }
  };
  for (const pid of processTree(root)) {
    const exe = exeName(pid);
    if (exe === null || INTERCEPTOR_EXES.has(exe)) continue;
    for (const tid of tasksOf(pid)) {
      const dir = `/proc/${pid}/task/${tid}`;
      const stat = read(`${dir}/stat`);
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      lines.push(`${exe} ${pid}/${tid} ${state} wchan=${read(`${dir}/wchan`)} syscall=${read(`${dir}/syscall`).split(' ')[0]}`);
    }
  }
  return lines.join('\n');
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ). */
const USER_HZ = 100;
/** Executables that are Interceptor's own (its CLI's node, the helper), not a client's. */
export const INTERCEPTOR_EXES = new Set(['node', 'interceptor-helper']);

/** CPU seconds so far of the processes of a peer's tree that are the client's (not Interceptor's). */
export function clientCpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) if (!INTERCEPTOR_EXES.has(exeName(pid) ?? '')) ticks += cpuTicks(pid) ?? 0;
  return ticks / USER_HZ;
}

/** utime + stime of a process (all its threads) in clock ticks, or null if it is gone. */
export function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
}

export function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}
