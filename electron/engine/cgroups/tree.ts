// The kernel's CPU bandwidth control for P2P apps: one cgroup per app under one parent of
// Interceptor's. The parent's quota is the owner's cap (C2), the apps' own quotas and weights
// split it (C1, decided by PNS in ../schedulers/cpu-cgroup.ts), and the parent's weight keeps
// the owner's own CPU hogs from starving them (the role SCHED_RR dual priority plays in the
// paper).
//
// Where a parent can be made (probeCgroupTree):
//  - cgroup v2 with the cpu controller: as root, /sys/fs/cgroup/interceptor-<pid>-<n>; as a desktop
//    user, inside the engine's own cgroup when systemd delegated it (a service or scope with
//    Delegate=yes): the engine moves itself to <own>/engine and makes <own>/apps the parent
//    (cgroup v2 lets only leaves hold processes);
//  - cgroup v1 with a writable cpu hierarchy (root): <mount>/interceptor-<pid>-<n>.
// Anything else is refused with a reason a person can act on.
import { accessSync, constants, existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { processAlive } from '../process.js';

export type CgroupVersion = 1 | 2;

export interface CgroupProbeOptions {
  /** Name of the parent (default interceptor-<pid>-<n>: one per engine of this process). */
  name?: string;
  pid?: number;
  uid?: number;
  /** For tests: where /proc/self/mountinfo and /proc/self/cgroup are read. */
  mountinfo?: string;
  selfCgroup?: string;
  /** For tests: a process is "ours" when it is pid or one of its descendants. */
  isOurs?: (pid: number) => boolean;
}

export type CgroupProbe = { ok: true; tree: CgroupTree } | { ok: false; reason: string };

/** Quota periods allowed by the kernel (µs). */
const MIN_PERIOD_US = 1000;
const MAX_PERIOD_US = 1_000_000;
const PARENT_PREFIX = 'interceptor-';
let parents = 0;

export class CgroupTree {
  private readonly apps = new Map<string, string>();

  private constructor(
    readonly version: CgroupVersion,
    /** The parent of the apps' cgroups: its quota is the cap. */
    readonly dir: string,
    /** Where an app's processes go when they leave (uncapped). */
    private readonly releaseDir: string,
    /** For a person: what enforces and where. */
    readonly detail: string,
  ) {}

  static create(version: CgroupVersion, dir: string, releaseDir: string, detail: string): CgroupTree {
    return new CgroupTree(version, dir, releaseDir, detail);
  }

  /** The app's cgroup (created); its processes join with join(). */
  createApp(appId: string): string {
    if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(appId)) throw new Error(`invalid app id for a cgroup: ${appId}`);
    const dir = path.join(this.dir, appId);
    if (!existsSync(dir)) mkdirSync(dir);
    this.apps.set(appId, dir);
    return dir;
  }

  appDir(appId: string): string | null {
    return this.apps.get(appId) ?? null;
  }

  /** Moves a process (and the children it will have) into the app's cgroup. */
  join(appId: string, pid: number): void {
    const dir = this.apps.get(appId);
    if (!dir) throw new Error(`no cgroup for ${appId}`);
    writeFileSync(path.join(dir, 'cgroup.procs'), `${pid}\n`);
  }

  /**
   * Moves a running app into its cgroup (a cap came): `appPid` and every process under `root`
   * that `root` traces, and their descendants (root: its helper, the tree's subreaper, so an
   * orphan stays under it; the helper and its own child stay out; never init), in rounds: a
   * child forked while its parent moved may have stayed behind.
   */
  joinTree(appId: string, root: number, appPid: number): void {
    const dir = this.apps.get(appId);
    if (!dir) throw new Error(`no cgroup for ${appId}`);
    for (let round = 0; round < 20; round++) {
      const inside = new Set(readProcs(dir));
      const missing = [appPid, ...(root > 1 ? descendantsOf(root) : [])].filter((pid) => pid !== root && !inside.has(pid));
      if (missing.length === 0) return;
      for (const pid of new Set(missing)) {
        try {
          writeFileSync(path.join(dir, 'cgroup.procs'), `${pid}\n`);
        } catch (error) {
          // gone meanwhile is fine; any other refusal would leave the cap unenforced on that process
          if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw new Error(`process ${pid}: ${(error as Error).message}`);
        }
      }
    }
  }

  /**
   * The app's processes leave its cgroup (no cap any more: they compete as natively); it stays for
   * the next cap. On cgroup v2 they go back to `home` when the helper made one (its own cgroup,
   * where the app started and its UDP is counted: native/src/udpcount.c), else to the release cgroup.
   */
  leaveApp(appId: string, home: string | null = null): void {
    const dir = this.apps.get(appId);
    if (dir) this.moveOut(dir, this.version === 2 && home !== null && isCgroupDir(home) ? home : this.releaseDir);
  }

  /** Processes in the app's cgroup now. */
  procs(appId: string): number[] {
    const dir = this.apps.get(appId);
    return dir ? readProcs(dir) : [];
  }

  /** The parent's quota: at most quotaUs of CPU time per periodUs (all cores together); null = none. */
  setQuota(quotaUs: number | null, periodUs: number): void {
    writeQuota(this.version, this.dir, quotaUs, periodUs);
  }

  /** One app's own quota (its part of the cap, decided by the scheduler); null = none but the parent's. */
  setAppQuota(appId: string, quotaUs: number | null, periodUs: number): void {
    const dir = this.apps.get(appId);
    if (dir) writeQuota(this.version, dir, quotaUs, periodUs);
  }

  /** The parent's weight against the owner's processes: high (dual priority) or the default. */
  setGroupWeight(high: boolean): void {
    if (this.version === 2) writeFileSync(path.join(this.dir, 'cpu.weight'), high ? '10000\n' : '100\n');
    else writeFileSync(path.join(this.dir, 'cpu.shares'), high ? '262144\n' : '1024\n');
  }

  /**
   * An app's weight among the apps; `relative` is its part of the P2P budget (its share, with
   * any PNS catch-up boost), mapped onto the kernel's range. Returns the value written.
   */
  setWeight(appId: string, relative: number): number {
    const dir = this.apps.get(appId);
    if (!dir) return 0;
    const value = kernelWeight(this.version, relative);
    writeFileSync(path.join(dir, this.version === 2 ? 'cpu.weight' : 'cpu.shares'), `${value}\n`);
    return value;
  }

  /** Periods in which the parent ran out of quota, since it was made (kernel's nr_throttled). */
  throttledPeriods(): number {
    return throttledIn(this.dir);
  }

  /** Periods in which the app ran out of its own quota. */
  appThrottledPeriods(appId: string): number {
    const dir = this.apps.get(appId);
    return dir ? throttledIn(dir) : 0;
  }

  /** The app leaves: its remaining processes go uncapped, its cgroup is removed. */
  releaseApp(appId: string): void {
    const dir = this.apps.get(appId);
    if (!dir) return;
    this.apps.delete(appId);
    this.moveOut(dir);
    removeDir(dir);
  }

  /** Every process of dir to `to`; a forking app may add processes while we move them: a few rounds. */
  private moveOut(dir: string, to = this.releaseDir): void {
    for (let round = 0; round < 20; round++) {
      const pids = readProcs(dir);
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          writeFileSync(path.join(to, 'cgroup.procs'), `${pid}\n`);
        } catch {
          // gone meanwhile
        }
      }
    }
  }

  /** Every app released and the parent removed (engine shutdown). */
  dispose(): void {
    for (const id of [...this.apps.keys()]) this.releaseApp(id);
    for (const e of safeReaddir(this.dir)) {
      const sub = path.join(this.dir, e);
      if (isCgroupDir(sub)) removeDir(sub);
    }
    removeDir(this.dir);
  }
}

/** The kernel's weight for a relative weight: v1 cpu.shares [2, 262144], v2 cpu.weight [1, 10000]. */
export function kernelWeight(version: CgroupVersion, relative: number): number {
  const r = Number.isFinite(relative) && relative > 0 ? relative : 0;
  if (version === 2) return Math.min(10000, Math.max(1, Math.round(r * 1000)));
  return Math.min(262144, Math.max(2, Math.round(r * 8192)));
}

/** Where Interceptor can make its parent cgroup, or why it cannot. */
export function probeCgroupTree(options: CgroupProbeOptions = {}): CgroupProbe {
  const pid = options.pid ?? process.pid;
  const uid = options.uid ?? process.getuid?.() ?? -1;
  const name = options.name ?? `${PARENT_PREFIX}${pid}-${++parents}`;
  let mounts: Mount[];
  let own: Map<string, string>;
  try {
    mounts = parseMountinfo(readFileSync(options.mountinfo ?? '/proc/self/mountinfo', 'utf8'));
    own = parseSelfCgroup(readFileSync(options.selfCgroup ?? '/proc/self/cgroup', 'utf8'));
  } catch (error) {
    return { ok: false, reason: `cgroups cannot be read here (${(error as Error).message})` };
  }
  const reasons: string[] = [];
  const v2 = mounts.find((m) => m.fstype === 'cgroup2');
  if (v2) {
    const r = probeV2(v2.point, own.get('') ?? '/', name, uid, options.isOurs ?? ((p) => isSelfOrDescendant(p, pid)));
    if (r.ok) return r;
    reasons.push(r.reason);
  }
  const v1 = mounts.find((m) => m.fstype === 'cgroup' && m.options.includes('cpu'));
  if (v1) {
    const r = probeV1(v1.point, name);
    if (r.ok) return r;
    reasons.push(r.reason);
  }
  if (!v1 && !v2) reasons.push('no cgroup file system is mounted');
  return { ok: false, reason: reasons.join('; ') };
}

function probeV2(mount: string, ownPath: string, name: string, uid: number, isOurs: (p: number) => boolean): CgroupProbe {
  const rootControllers = controllers(mount);
  if (uid === 0 && rootControllers.includes('cpu')) {
    try {
      enableCpu(mount);
      const dir = path.join(mount, name);
      if (!existsSync(dir)) mkdirSync(dir);
      enableCpu(dir);
      return { ok: true, tree: CgroupTree.create(2, dir, mount, `cgroup v2 cpu controller, ${dir}`) };
    } catch (error) {
      return { ok: false, reason: `cgroup v2: cannot make ${path.join(mount, name)} (${(error as Error).message})` };
    }
  }
  const own = path.join(mount, ownPath);
  if (!controllers(own).includes('cpu')) {
    const where = rootControllers.includes('cpu') ? `not delegated to ${own}` : `not available in cgroup v2 at ${mount}`;
    return { ok: false, reason: `cgroup v2: the cpu controller is ${where}${DELEGATE_HINT}` };
  }
  if (!writable(path.join(own, 'cgroup.procs')) || !writable(path.join(own, 'cgroup.subtree_control'))) {
    return { ok: false, reason: `cgroup v2: ${own} is not delegated to this user${DELEGATE_HINT}` };
  }
  // Only leaves hold processes: every process of our cgroup must be ours to move out of the way.
  const leaf = path.join(own, 'engine');
  const procs = readProcs(own);
  const foreign = procs.filter((p) => !isOurs(p));
  if (foreign.length > 0) {
    return { ok: false, reason: `cgroup v2: ${own} also holds other programs (pid ${foreign.slice(0, 3).join(', ')})${DELEGATE_HINT}` };
  }
  try {
    if (!existsSync(leaf)) mkdirSync(leaf);
    for (const p of procs) writeFileSync(path.join(leaf, 'cgroup.procs'), `${p}\n`);
    enableCpu(own);
    const dir = path.join(own, 'apps');
    if (!existsSync(dir)) mkdirSync(dir);
    enableCpu(dir);
    return { ok: true, tree: CgroupTree.create(2, dir, leaf, `cgroup v2 cpu controller (delegated), ${dir}`) };
  } catch (error) {
    return { ok: false, reason: `cgroup v2: cannot set up ${own} (${(error as Error).message})` };
  }
}

const DELEGATE_HINT = '; start Interceptor in a delegated scope (systemd-run --user --scope -p Delegate=yes …) or as its user service';

function probeV1(mount: string, name: string): CgroupProbe {
  if (!writable(mount)) return { ok: false, reason: `cgroup v1: ${mount} is not writable (root only)` };
  const dir = path.join(mount, name);
  try {
    if (!existsSync(dir)) mkdirSync(dir);
    if (!existsSync(path.join(dir, 'cpu.cfs_quota_us'))) throw new Error('no cpu.cfs_quota_us (CFS bandwidth control not built in)');
    return { ok: true, tree: CgroupTree.create(1, dir, mount, `cgroup v1 cpu controller, ${dir}`) };
  } catch (error) {
    removeDir(dir);
    return { ok: false, reason: `cgroup v1: cannot make ${dir} (${(error as Error).message})` };
  }
}

/**
 * Parents left by engines that are gone (a kill -9): their empty app cgroups and themselves
 * are removed. Apps still running in them (left running with onEngineLoss "continue") keep
 * theirs; their helpers remove them when they exit.
 */
export function removeStaleParents(tree: CgroupTree, alive: (pid: number) => boolean = processAlive): string[] {
  const removed: string[] = [];
  const base = path.dirname(tree.dir);
  for (const e of safeReaddir(base)) {
    const m = /^interceptor-(\d+)-\d+$/.exec(e);
    if (!m || path.join(base, e) === tree.dir || alive(Number(m[1]))) continue;
    const dir = path.join(base, e);
    for (const sub of safeReaddir(dir)) if (isCgroupDir(path.join(dir, sub))) removeDir(path.join(dir, sub));
    if (removeDir(dir)) removed.push(dir);
  }
  return removed;
}

// ---- helpers ----

function writeQuota(version: CgroupVersion, dir: string, quotaUs: number | null, periodUs: number): void {
  const period = Math.round(Math.min(MAX_PERIOD_US, Math.max(MIN_PERIOD_US, periodUs)));
  const quota = quotaUs === null ? null : Math.round(Math.max(MIN_PERIOD_US, quotaUs));
  if (version === 2) {
    writeFileSync(path.join(dir, 'cpu.max'), `${quota === null ? 'max' : quota} ${period}\n`);
  } else {
    // v1 checks quota against period when either changes: lift the quota first
    writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), '-1\n');
    writeFileSync(path.join(dir, 'cpu.cfs_period_us'), `${period}\n`);
    if (quota !== null) writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), `${quota}\n`);
  }
}

function throttledIn(dir: string): number {
  try {
    const m = /^nr_throttled (\d+)$/m.exec(readFileSync(path.join(dir, 'cpu.stat'), 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

interface Mount {
  point: string;
  fstype: string;
  options: string[];
}

/** /proc/self/mountinfo: "... mountpoint ... - fstype source superoptions". */
export function parseMountinfo(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const pre = line.slice(0, dash).split(' ');
    const post = line.slice(dash + 3).split(' ');
    if (pre.length < 5 || post.length < 3) continue;
    out.push({ point: unescapeMount(pre[4]!), fstype: post[0]!, options: post[2]!.split(',') });
  }
  return out;
}

/** /proc/self/cgroup: "id:controllers:path"; the v2 line has empty controllers (key ''). */
export function parseSelfCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, ctrls, p] = m;
    if (ctrls === '') out.set('', p!);
    for (const c of ctrls!.split(',')) if (c) out.set(c, p!);
  }
  return out;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

function controllers(dir: string): string[] {
  try {
    return readFileSync(path.join(dir, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

function enableCpu(dir: string): void {
  const current = readFileSync(path.join(dir, 'cgroup.subtree_control'), 'utf8').split(/\s+/);
  if (!current.includes('cpu')) writeFileSync(path.join(dir, 'cgroup.subtree_control'), '+cpu\n');
}

function readProcs(dir: string): number[] {
  try {
    return readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function writable(p: string): boolean {
  try {
    accessSync(p, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isCgroupDir(p: string): boolean {
  return existsSync(path.join(p, 'cgroup.procs'));
}

/** rmdir with a few retries: a cgroup is busy for a moment after its last process exits. */
function removeDir(dir: string): boolean {
  for (let i = 0; i < 50; i++) {
    try {
      rmdirSync(dir);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return true;
      if (code !== 'EBUSY') return false;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    }
  }
  return false;
}

/** Every process whose chain of parents leads to root (not root itself), from /proc. */
function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of safeReaddir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = parentOf(Number(name));
    if (ppid === null) continue; // gone meanwhile
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  // (of the root's own children, only those it traces: the helper forks one of its own)
  const found = (children.get(root) ?? []).filter((pid) => tracerOf(pid) === root);
  for (let queue = [...found]; queue.length > 0; ) {
    const kids = children.get(queue.pop()!) ?? [];
    found.push(...kids);
    queue.push(...kids);
  }
  return found;
}

function tracerOf(pid: number): number | null {
  try {
    const m = /\nTracerPid:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** A process's parent (/proc/<pid>/stat, after the command name), or null if it is gone. */
function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

function isSelfOrDescendant(p: number, self: number): boolean {
  for (let cur: number | null = p, hops = 0; cur !== null && cur > 1 && hops < 64; hops++) {
    if (cur === self) return true;
    cur = parentOf(cur);
  }
  return false;
}
