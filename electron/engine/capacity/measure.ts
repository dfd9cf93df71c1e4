// Measuring link and disk capacity: the owner's caps for net-up, net-down and
// disk are absolute rates; the capacity makes them the paper's S(P2P, τ) as a fraction.
//  - network: the interface of the default route (/proc/net/route, loopback never counts);
//    its link speed from /sys/class/net/<if>/speed (Mb/s, when > 0) for both directions;
//    otherwise the peak 1-second rate observed on it (/proc/net/dev), a lower bound.
//  - disk: a timed sequential write (+ fsync) of a temporary file, then a read of it with
//    the page cache bypassed (O_DIRECT) where the filesystem allows; the file never stays.
// The procfs and sysfs roots are injectable so tests use fixture directories. Plain Node.
import { promises as fs, constants as fsConstants, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { PEAK_OBSERVED_METHOD } from '../../common/capacity.js';
import type { Capacity } from '../../common/model.js';
import { formatRate } from '../../common/resources.js';
import { processAlive } from '../process.js';

export interface SystemRoots {
  /** Default '/proc'. */
  proc: string;
  /** Default '/sys'. */
  sys: string;
}
export const REAL_ROOTS: SystemRoots = { proc: '/proc', sys: '/sys' };

const IFACE_NAME = /^[A-Za-z0-9_.:@-]{1,15}$/;
const RTF_UP = 0x1;

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function validIface(name: string): boolean {
  return IFACE_NAME.test(name) && name !== '.' && name !== '..' && name !== 'lo';
}

/** The interface of the default route with the lowest metric; null when there is none (loopback never counts). */
export function defaultRouteInterface(roots: SystemRoots = REAL_ROOTS): string | null {
  const text = readText(path.join(roots.proc, 'net/route'));
  if (!text) return null;
  let best: { iface: string; metric: number } | null = null;
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [iface, dest, , flagsHex, , , metricText, mask] = f as [string, string, string, string, string, string, string, string];
    const flags = parseInt(flagsHex, 16);
    if (dest !== '00000000' || mask !== '00000000' || !(flags & RTF_UP) || !validIface(iface)) continue;
    const metric = Number(metricText) || 0;
    if (!best || metric < best.metric) best = { iface, metric };
  }
  return best?.iface ?? null;
}

/** Link speed in Mb/s from sysfs, or null when the link reports none (wireless, virtual: -1 or unreadable). */
export function linkSpeedMbps(iface: string, roots: SystemRoots = REAL_ROOTS): number | null {
  if (!validIface(iface)) return null;
  const text = readText(path.join(roots.sys, 'class/net', iface, 'speed'));
  const speed = text === null ? NaN : Number(text.trim());
  return Number.isFinite(speed) && speed > 0 && speed < 1e7 ? speed : null;
}

/** Cumulative bytes received and transmitted by `iface` (/proc/net/dev), or null. */
export function readNetDev(iface: string, roots: SystemRoots = REAL_ROOTS): { rx: number; tx: number } | null {
  const text = readText(path.join(roots.proc, 'net/dev'));
  if (!text) return null;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim() !== iface) continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (f.length < 9 || !Number.isFinite(f[0]) || !Number.isFinite(f[8])) return null;
    return { rx: f[0]!, tx: f[8]! };
  }
  return null;
}

export type LinkResult =
  | { ok: true; iface: string; capacity: Capacity }
  | { ok: false; iface: string | null; reason: string };

export function linkSpeedMethod(iface: string, mbps: number): string {
  return `${iface} link speed ${mbps} Mb/s`;
}
export function peakMethod(iface: string): string {
  return `${PEAK_OBSERVED_METHOD} on ${iface}`;
}

/** The network capacity from the default-route interface's link speed (the same for up and down). */
export function detectLinkCapacity(roots: SystemRoots = REAL_ROOTS, nowMs = Date.now()): LinkResult {
  const iface = defaultRouteInterface(roots);
  if (!iface) return { ok: false, iface: null, reason: 'there is no default route (no interface but loopback carries traffic out)' };
  const mbps = linkSpeedMbps(iface, roots);
  if (mbps === null) return { ok: false, iface, reason: `${iface} reports no link speed (wireless and virtual links do not)` };
  return { ok: true, iface, capacity: { bytesPerSec: (mbps * 1e6) / 8, source: 'measured', measuredAt: nowMs, method: linkSpeedMethod(iface, mbps) } };
}

/**
 * Samples the default-route interface's byte counters (once a second when started) and
 * keeps the peak 1-second rate of each direction: a lower bound of the link's capacity.
 * The interface is looked up at every sample; when it changes, the peaks start over.
 */
export class NetPeakSampler {
  iface: string | null = null;
  peak = { rx: 0, tx: 0 };
  private last: { t: number; rx: number; tx: number } | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly roots: SystemRoots = REAL_ROOTS,
    /** Called when a peak rises: the interface and the peaks (bytes/s) of rx (down) and tx (up). */
    private readonly onPeak: (iface: string, peak: { rx: number; tx: number }) => void = () => undefined,
  ) {}

  /** One sample at monotonic time `tMs`. */
  sample(tMs: number): void {
    const iface = defaultRouteInterface(this.roots);
    if (iface !== this.iface) {
      this.iface = iface;
      this.peak = { rx: 0, tx: 0 };
      this.last = null;
    }
    if (!iface) return;
    const now = readNetDev(iface, this.roots);
    if (!now) {
      this.last = null;
      return;
    }
    const prev = this.last;
    this.last = { t: tMs, ...now };
    if (!prev) return;
    const dt = (tMs - prev.t) / 1000;
    // a late or early tick is not a 1-second rate; a counter that went back was reset
    if (dt < 0.5 || dt > 3 || now.rx < prev.rx || now.tx < prev.tx) return;
    const rx = (now.rx - prev.rx) / dt;
    const tx = (now.tx - prev.tx) / dt;
    let rose = false;
    if (rx > this.peak.rx) {
      this.peak.rx = rx;
      rose = true;
    }
    if (tx > this.peak.tx) {
      this.peak.tx = tx;
      rose = true;
    }
    if (rose) this.onPeak(iface, { ...this.peak });
  }

  start(periodMs = 1000, now: () => number = () => performance.now()): void {
    if (this.timer) return;
    this.sample(now());
    this.timer = setInterval(() => this.sample(now()), periodMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

// ───────────────────────────── disk ─────────────────────────────

export const DISK_PROBE_PREFIX = '.interceptor-capacity-probe-';
export const DEFAULT_DISK_PROBE_BYTES = 64 * 1024 * 1024;
const MIB = 1024 * 1024;

export interface DiskMeasureOptions {
  /** Bytes written and read back; default 64 MiB (rounded up to whole blocks). */
  bytes?: number;
  /** Block size; default 1 MiB (a multiple of 4096). */
  blockBytes?: number;
  /** The whole measurement; default 60 s. */
  timeoutMs?: number;
}

export interface DiskMeasurement {
  bytesPerSec: number;
  writeBytesPerSec: number;
  readBytesPerSec: number | null; // null: the page cache could not be bypassed, read not measured
  method: string;
}

export class DiskMeasureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiskMeasureError';
  }
}

function sizeText(bytes: number): string {
  return bytes % MIB === 0 ? `${bytes / MIB} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

/** Remove probe files a crashed measurement left behind (only those of processes that are gone). */
function removeStaleProbes(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(DISK_PROBE_PREFIX)) continue;
    const full = path.join(dir, name);
    const pid = Number(name.slice(DISK_PROBE_PREFIX.length).split('-')[0]);
    if (pid === process.pid ? !activeProbes.has(full) : !processAlive(pid)) rmSync(full, { force: true });
  }
}

const activeProbes = new Set<string>();

/**
 * Timed sequential write (1 MiB blocks, then fsync) of a temporary file in `dir`, then a
 * timed read of it with O_DIRECT; the capacity is the bytes moved over the time taken
 * (disk caps count reads + writes). Where O_DIRECT is refused (tmpfs, some filesystems)
 * the read would come from the page cache, so only the write is measured and `method`
 * says so. The file is removed in every case; a timeout throws DiskMeasureError.
 */
export async function measureDisk(dir: string, options: DiskMeasureOptions = {}): Promise<DiskMeasurement> {
  const block = options.blockBytes ?? MIB;
  if (!(Number.isInteger(block) && block >= 4096 && block % 4096 === 0)) throw new RangeError('blockBytes must be a multiple of 4096');
  const blocks = Math.max(1, Math.ceil((options.bytes ?? DEFAULT_DISK_PROBE_BYTES) / block));
  const total = blocks * block;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const start = performance.now();
  const checkTime = () => {
    if (performance.now() - start > timeoutMs) throw new DiskMeasureError(`the disk measurement did not finish within ${(timeoutMs / 1000).toFixed(timeoutMs < 1000 ? 3 : 0)} s`);
  };
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  removeStaleProbes(dir);
  const file = path.join(dir, `${DISK_PROBE_PREFIX}${process.pid}-${Math.random().toString(36).slice(2)}`);
  activeProbes.add(file);
  try {
    const data = Buffer.alloc(block);
    for (let i = 0; i < block; i += 8) data.writeUInt32LE((i * 2654435761) >>> 0, i); // not all zeros: no compression shortcut
    // write + fsync
    const t0 = performance.now();
    const w = await fs.open(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
    try {
      for (let i = 0; i < blocks; i++) {
        checkTime();
        await w.write(data, 0, block, i * block);
      }
      checkTime();
      await w.sync();
    } finally {
      await w.close();
    }
    const writeSeconds = Math.max(1e-6, (performance.now() - t0) / 1000);
    checkTime();
    // read back, bypassing the page cache
    const read = await readDirect(file, blocks, block, checkTime);
    const writeBytesPerSec = total / writeSeconds;
    if (read === null) {
      return {
        bytesPerSec: writeBytesPerSec,
        writeBytesPerSec,
        readBytesPerSec: null,
        method: `sequential write ${sizeText(total)} + fsync; read not measured (O_DIRECT not supported here)`,
      };
    }
    const readBytesPerSec = total / read;
    return {
      bytesPerSec: (2 * total) / (writeSeconds + read),
      writeBytesPerSec,
      readBytesPerSec,
      method: `sequential write+read ${sizeText(total)}, O_DIRECT (write ${formatRate(writeBytesPerSec)}, read ${formatRate(readBytesPerSec)})`,
    };
  } finally {
    await fs.rm(file, { force: true }).catch(() => rmSync(file, { force: true }));
    activeProbes.delete(file);
  }
}

/**
 * Seconds to read the file with O_DIRECT, or null when O_DIRECT is unavailable. O_DIRECT
 * needs an aligned buffer and Node cannot ask for one: a larger buffer is probed for an
 * offset the kernel accepts (EINVAL marks a misaligned one).
 */
async function readDirect(file: string, blocks: number, block: number, checkTime: () => void): Promise<number | null> {
  const O_DIRECT = (fsConstants as Record<string, number>).O_DIRECT;
  if (!O_DIRECT) return null;
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, fsConstants.O_RDONLY | O_DIRECT);
  } catch {
    return null; // EINVAL: the filesystem (tmpfs…) does not do direct I/O
  }
  try {
    const raw = Buffer.alloc(block + 4096);
    let buf: Buffer | null = null;
    for (let offset = 0; offset < 4096 && !buf; offset += 16) {
      const candidate = raw.subarray(offset, offset + 4096);
      try {
        await handle.read(candidate, 0, 4096, 0);
        buf = raw.subarray(offset, offset + block);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
      }
    }
    if (!buf) return null;
    const t0 = performance.now();
    for (let i = 0; i < blocks; i++) {
      checkTime();
      const { bytesRead } = await handle.read(buf, 0, block, i * block);
      if (bytesRead !== block) throw new DiskMeasureError(`short read of the probe file (${bytesRead} of ${block} bytes)`);
    }
    return Math.max(1e-6, (performance.now() - t0) / 1000);
  } catch (error) {
    if (error instanceof DiskMeasureError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'EINVAL') return null;
    throw error;
  } finally {
    await handle.close();
  }
}
