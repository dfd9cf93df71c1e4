// The transfer rate of one peer, taken from outside it, from the kernel's TCP
// counters: every 100 ms, `ss -tie` (in the peer's namespace) lists the sockets with
// their inode and counters, and the peer's sockets are those whose inode one of its
// processes holds open (/proc/<pid>/fd of its process tree). Only peer-wire
// connections count: one end on a swarm peer's listen port (so tracker and control
// traffic do not). For each socket, at the client (the default, what a cap governs):
//   down: bytes_received − Recv-Q  = the bytes the client has read (the kernel may have
//         received more, still queued in its buffer: up to ~0.5 MB behind a slow reader);
//   up:   bytes_acked + Send-Q     = the bytes the client has written (bytes_acked alone
//         would lag by what is still in flight);
// or on the wire (what a link governs): bytes_received, bytes_acked.
// A connection stays the client's by its address pair once one of its fds held it, so
// the counters of a socket it closed are still read while the kernel winds it down
// (FIN-WAIT, LAST-ACK: no inode any more); what a connection moves after the last
// sample in which it shows is not counted (up to 100 ms of it).
// The file on disk would not do: clients preallocate or write pieces out of order.
// A socket keeps its last value after it closes, so the total never goes back.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { CLK_TCK } from '../helper-apps.js';
import { INTERCEPTOR_EXES, cpuTicks, exeName, processTree, socketInodes } from './processes.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type Direction = 'down' | 'up';
/** Count what the client read/wrote ('client') or what crossed its link ('wire'). */
export type CountAt = 'client' | 'wire';

export interface Sample {
  /** performance.now() in ms, the middle of the sample. */
  t: number;
  /** Bytes moved so far in the meter's direction. */
  bytes: number;
  /**
   * How far the transfer is, by which the steady window's ends are found: the bytes moved (a
   * transfer), or the bytes written (disk: a client's start, reading its program from storage, is
   * not its download).
   */
  progress: number;
  /** CPU ticks so far of the wrapper's own processes (node, interceptor-helper) in the peer's tree. */
  overheadTicks: number;
  /** CPU ticks so far of the whole machine less the swarm's processes and this one: other people's load. */
  othersTicks: number;
}

export interface SteadyRate {
  bytesPerSecond: number;
  /** performance.now() at which the counted bytes crossed the window's ends. */
  fromMs: number;
  toMs: number;
  /** CPU seconds of the wrapper's processes per MB (10^6 B) moved in the window. */
  overheadCpuSecondsPerMB: number;
  /** Cores that processes outside the swarm used during the window (a busy machine starves the cap's enforcement). */
  othersCores: number;
}

export interface MeterTarget {
  /** The root of the peer's process tree, while it runs. */
  pid: number;
  netns: string | null;
  /** Roots of every process tree of the swarm (to tell its CPU from others'). */
  swarmRoots: () => number[];
}


/**
 * Samples a count of one peer every `periodMs` (with the CPU of the wrapper's processes and of
 * the machine outside the swarm); what is counted is the subclass's.
 */
abstract class Meter {
  readonly samples: Sample[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    protected readonly target: MeterTarget,
    private readonly periodMs = 100,
  ) {
    this.loop = this.run();
  }

  /** Bytes moved so far. */
  get bytes(): number {
    return this.samples.at(-1)?.bytes ?? 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** Progress so far (Sample: bytes moved, or written to disk). */
  get progress(): number {
    return this.samples.at(-1)?.progress ?? 0;
  }

  /** Resolves once the progress has reached `progress`. */
  async waitForProgress(progress: number, timeoutMs: number): Promise<void> {
    const end = performance.now() + timeoutMs;
    while (this.progress < progress) {
      if (performance.now() > end) throw new Error(`timed out: progress ${this.progress} of ${progress} (${this.what})`);
      await sleep(this.periodMs);
    }
  }

  /** The steady rate over `from`–`to` of `totalBytes` of progress (25–75 % by default): see steadyRateOf. */
  steadyRate(totalBytes: number, from = 0.25, to = 0.75): SteadyRate | null {
    return steadyRateOf(this.samples, totalBytes, from, to, this.fitted);
  }

  /** When the progress reached `level` (performance.now(), interpolated between samples), or null if it has not. */
  reachedAt(level: number): number | null {
    return crossing(this.samples, level)?.t ?? null;
  }

  /** Which samples the rate is fitted to (see steadyRateOf). */
  protected readonly fitted: FittedSamples = 'all';

  /** What it counts, for messages. */
  protected abstract readonly what: string;
  /** The count now, of the peer's processes `pids` (its whole tree), and the progress (Sample). */
  protected abstract count(pids: number[]): Promise<{ bytes: number; progress: number }>;

  private async run(): Promise<void> {
    while (!this.stopped) {
      const start = performance.now();
      try {
        await this.sample(start);
      } catch {
        /* the peer is gone or a reading failed once: the next sample tells */
      }
      await sleep(Math.max(0, start + this.periodMs - performance.now()));
    }
  }

  private async sample(start: number): Promise<void> {
    const pids = processTree(this.target.pid);
    let overheadTicks = 0;
    for (const pid of pids) if (INTERCEPTOR_EXES.has(exeName(pid) ?? '')) overheadTicks += cpuTicks(pid) ?? 0;
    let swarmTicks = cpuTicks(process.pid) ?? 0;
    for (const root of this.target.swarmRoots()) for (const pid of processTree(root)) swarmTicks += cpuTicks(pid) ?? 0;
    const othersTicks = machineBusyTicks() - swarmTicks;
    const { bytes, progress } = await this.count(pids);
    const t = (start + performance.now()) / 2;
    const last = this.samples.at(-1);
    this.samples.push({ t, bytes, progress, overheadTicks: Math.max(overheadTicks, last?.overheadTicks ?? 0), othersTicks });
  }
}

export class TransferMeter extends Meter {
  /** Bytes per connection ("local>peer"), and the connections that are the client's. */
  private readonly perConnection = new Map<string, number>();
  private readonly owned = new Set<string>();

  constructor(
    target: MeterTarget,
    readonly direction: Direction,
    private readonly peerPorts: () => ReadonlySet<number>,
    readonly at: CountAt = 'client',
    periodMs = 100,
  ) {
    super(target, periodMs);
  }

  protected get what(): string {
    return `bytes ${this.direction}`;
  }

  protected async count(pids: number[]): Promise<{ bytes: number; progress: number }> {
    const inodes = new Set<number>();
    for (const pid of pids) socketInodes(pid, inodes);
    const prefix = this.target.netns ? ['ip', 'netns', 'exec', this.target.netns] : [];
    const argv = [...prefix, 'ss', '-tieHn'];
    const { stdout } = await run(argv[0]!, argv.slice(1), { maxBuffer: 16 << 20 });
    const ports = this.peerPorts();
    for (const s of parseSs(stdout)) {
      const key = `${s.local}>${s.peer}`;
      if (inodes.has(s.inode)) this.owned.add(key);
      if (!this.owned.has(key) || !(ports.has(s.localPort) || ports.has(s.peerPort))) continue;
      const queued = this.at === 'client' ? (this.direction === 'down' ? -s.recvQ : s.sendQ) : 0;
      const moved = (this.direction === 'down' ? s.bytesReceived : s.bytesAcked) + queued;
      this.perConnection.set(key, Math.max(this.perConnection.get(key) ?? 0, moved));
    }
    let bytes = 0;
    for (const v of this.perConnection.values()) bytes += v;
    return { bytes, progress: bytes };
  }
}

/**
 * The disk traffic of one peer, taken from outside it: what the kernel counts to the client's
 * processes (not the wrapper's) as read from storage and dirtied in the page cache
 * (/proc/<pid>/io read_bytes + write_bytes), as a disk cap governs it. The sum over the processes
 * alive: a child's counts join its parent's when the parent reaps it (so a process that has exited
 * is neither lost nor counted twice), and the total never goes back (a child between its exit and
 * its reaping). A client that writes behind a cache (Transmission 4 MB, Syncthing a batch of
 * blocks) shows the cap here while its download runs ahead; a read the page cache serves is no
 * disk traffic and does not show. Its progress is what the client wrote: a client's start may
 * read tens of MB of its program and libraries from a cold cache (qBittorrent: 46 MB), which a
 * disk cap charges and the client then waits out; the steady window is the middle of what it
 * wrote, its download, not that.
 */
export class DiskMeter extends Meter {
  protected readonly what = 'disk bytes';
  protected override readonly fitted = 'corners';

  /** Every 10 ms by default: the corners of a client's bursts are timed to a sample (steadyRateOf). */
  constructor(target: MeterTarget, periodMs = 10) {
    super(target, periodMs);
  }

  protected async count(pids: number[]): Promise<{ bytes: number; progress: number }> {
    let bytes = 0;
    let written = 0;
    for (const pid of pids) {
      const io = INTERCEPTOR_EXES.has(exeName(pid) ?? '') ? null : storageBytes(pid);
      bytes += io ? io.read + io.written : 0;
      written += io?.written ?? 0;
    }
    const last = this.samples.at(-1);
    return { bytes: Math.max(bytes, last?.bytes ?? 0), progress: Math.max(written, last?.progress ?? 0) };
  }
}

/**
 * What a peer's access link carried as UDP payload (netns mode), taken from outside the client and
 * the helper alike: for a uTP transfer, which the TCP meter cannot see. Its interface's frame
 * counters (/proc/<pid>/net/dev of a process in its namespace), less 42 bytes a frame (Ethernet
 * 14, IPv4 20, UDP 8). Other frames count their own difference (ARP: none; the tracker's few TCP
 * segments: 24 bytes each). Down counts what arrived, which a client reading slower than it
 * arrives (its socket's buffer full) may not all read: the kernel drops the rest.
 */
export class LinkMeter extends Meter {
  constructor(
    target: MeterTarget,
    readonly direction: Direction,
    private readonly iface: string,
    periodMs = 100,
  ) {
    super(target, periodMs);
  }

  protected get what(): string {
    return `UDP payload ${this.direction} on ${this.iface}`;
  }

  protected async count(): Promise<{ bytes: number; progress: number }> {
    const line = readFileSync(`/proc/${this.target.pid}/net/dev`, 'latin1')
      .split('\n')
      .find((l) => l.trim().startsWith(`${this.iface}:`));
    if (!line) throw new Error(`no interface ${this.iface} in the namespace of ${this.target.pid}`);
    const v = line.slice(line.indexOf(':') + 1).trim().split(/\s+/).map(Number);
    // rx: bytes, packets, then 6 more; tx: bytes, packets
    const [bytes, frames] = this.direction === 'down' ? [v[0]!, v[1]!] : [v[8]!, v[9]!];
    const payload = Math.max(bytes - UDP_FRAME_OVERHEAD * frames, this.samples.at(-1)?.bytes ?? 0);
    return { bytes: payload, progress: payload };
  }
}

/** Ethernet, IPv4 and UDP headers of a frame. */
const UDP_FRAME_OVERHEAD = 14 + 20 + 8;

/** read_bytes and write_bytes of a process, or null if it is gone. */
function storageBytes(pid: number): { read: number; written: number } | null {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'latin1');
    const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? 0);
    return { read: field('read_bytes'), written: field('write_bytes') };
  } catch {
    return null;
  }
}

export interface SsSocket {
  state: string;
  recvQ: number;
  sendQ: number;
  local: string;
  peer: string;
  localPort: number;
  peerPort: number;
  inode: number;
  bytesAcked: number;
  bytesReceived: number;
}

/** Parses `ss -tieHn`: a line per socket, then indented lines of TCP info. */
export function parseSs(text: string): SsSocket[] {
  const out: SsSocket[] = [];
  let cur: SsSocket | null = null;
  const port = (addr: string) => Number(addr.slice(addr.lastIndexOf(':') + 1));
  for (const line of text.split('\n')) {
    const head = /^(\S+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)/.exec(line);
    if (head) {
      cur = {
        state: head[1]!,
        recvQ: Number(head[2]),
        sendQ: Number(head[3]),
        local: head[4]!,
        peer: head[5]!,
        localPort: port(head[4]!),
        peerPort: port(head[5]!),
        inode: Number(/\bino:(\d+)/.exec(line)?.[1] ?? 0),
        bytesAcked: 0,
        bytesReceived: 0,
      };
      out.push(cur);
    } else if (cur) {
      cur.bytesAcked = Number(/\bbytes_acked:(\d+)/.exec(line)?.[1] ?? cur.bytesAcked);
      cur.bytesReceived = Number(/\bbytes_received:(\d+)/.exec(line)?.[1] ?? cur.bytesReceived);
    }
  }
  return out;
}

/** Busy CPU ticks of the whole machine (all cores) since boot: /proc/stat less idle and iowait. */
function machineBusyTicks(): number {
  const v = readFileSync('/proc/stat', 'latin1').slice(0, 200).split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  return v.reduce((x, y) => x + y, 0) - v[3]! - v[4]!;
}

/**
 * The samples a rate is fitted to: all of them, or the corners of the count's staircase (each
 * sample with no growth since the one before and growth after: where a burst started; all of them
 * if there are too few corners, as in an even stream). A client that writes in bursts of
 * 0.3–2 MB (Transmission flushing its cache) under a cap is let go when its credit is back, so
 * the corners lie on a line of the cap's slope, and the steps between them do not: a 6-MB window
 * of such steps fitted whole was −11..+7 % off in ten runs, its corners −0.2..+0.6 %. (A sample
 * in the middle of a burst, which takes more than one, is no corner: it lies above the line.)
 */
export type FittedSamples = 'all' | 'corners';

/** Fewer samples than this inside the window: the rate is taken from its two ends alone. */
const MIN_FIT_SAMPLES = 5;

/**
 * The rate between the moments the progress reached `from` and `to` of `totalBytes` (of a
 * transfer: the bytes counted; of disk traffic: the bytes written, so that a client's start is
 * outside, and the payload's middle inside, the window): the least-squares
 * slope of the samples in between (with the two crossings), not the two ends alone. A client
 * moves bytes in bursts (a call's worth, a 500-ms round) and `ss` takes 10–30 ms, so either end
 * can be off by a burst; the fit weighs every 100-ms sample (qBittorrent seeding under
 * `--up 2MB/s`, six 3-s windows: ends −2.45..+0.92 %, fit of the samples −1.51..+0.92 %). CPU figures are
 * taken between the crossings.
 */
export function steadyRateOf(samples: readonly Sample[], totalBytes: number, from = 0.25, to = 0.75, fitted: FittedSamples = 'all'): SteadyRate | null {
  const a = crossing(samples, from * totalBytes);
  const b = crossing(samples, to * totalBytes);
  if (!a || !b || b.t <= a.t) return null;
  const seconds = (b.t - a.t) / 1000;
  const bytes = b.bytes - a.bytes;
  const between = samples.filter((s) => s.t > a.t && s.t < b.t);
  const corners = fitted === 'corners' ? between.filter((s, i) => i > 0 && between[i - 1]!.bytes === s.bytes && (between[i + 1]?.bytes ?? b.bytes) > s.bytes) : [];
  const inside = corners.length >= MIN_FIT_SAMPLES ? corners : [a, ...between, b];
  return {
    bytesPerSecond: inside.length >= MIN_FIT_SAMPLES ? slopePerSecond(inside) : bytes / seconds,
    fromMs: a.t,
    toMs: b.t,
    overheadCpuSecondsPerMB: (b.overheadTicks - a.overheadTicks) / CLK_TCK / (bytes / 1e6),
    othersCores: (b.othersTicks - a.othersTicks) / CLK_TCK / seconds,
  };
}

function slopePerSecond(samples: readonly Sample[]): number {
  const n = samples.length;
  const meanT = samples.reduce((sum, s) => sum + s.t, 0) / n;
  const meanBytes = samples.reduce((sum, s) => sum + s.bytes, 0) / n;
  let cov = 0;
  let varT = 0;
  for (const s of samples) {
    cov += (s.t - meanT) * (s.bytes - meanBytes);
    varT += (s.t - meanT) ** 2;
  }
  return (cov / varT) * 1000;
}

/** The sample, interpolated linearly, at which the progress reached `level`. */
function crossing(samples: readonly Sample[], level: number): Sample | null {
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    if (b.progress < level || a.progress >= level) continue;
    const f = (level - a.progress) / (b.progress - a.progress);
    const at = (k: 'bytes' | 'overheadTicks' | 'othersTicks') => a[k] + f * (b[k] - a[k]);
    return { t: a.t + f * (b.t - a.t), bytes: at('bytes'), progress: level, overheadTicks: at('overheadTicks'), othersTicks: at('othersTicks') };
  }
  return null;
}
