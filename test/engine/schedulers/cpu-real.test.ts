// Both CPU mechanisms on real processes under the real native helper (no fakes): ptrace
// slices (CpuScheduler) and the kernel's bandwidth control (CgroupCpuScheduler on this
// machine's cgroups). Two CPU-bound apps with nominal shares 0.2 and 0.1 under
// S(P2P, CPU) = 0.3 receive 0.2 ± 0.01 and 0.1 ± 0.01 of the machine over 10 s while a
// CPU-bound owner process runs; then a cap change mid-run takes effect. Shares are measured
// from the kernel's per-process CPU clocks (/proc/<pid>/stat), independently of the
// scheduler's accounting. The last test puts fake sessions on real cgroups: the kernel's
// refusal to move a process is what it checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { probeCgroupTree, type CgroupTree } from '../../../electron/engine/cgroups/tree.js';
import { realClock } from '../../../electron/engine/clock.js';
import { CpuScheduler } from '../../../electron/engine/schedulers/cpu.js';
import { CgroupCpuScheduler } from '../../../electron/engine/schedulers/cpu-cgroup.js';
import { HelperLauncher, procCpuNs, requireHelper } from '../../../bench/lib/helper-apps.js';
import { FakeSession, VirtualClock } from './fakes.js';

const SPIN = ['-c', 'while :; do :; done'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const mechanism of ['ptrace', 'cgroup'] as const) {
test(`real processes (${mechanism}): shares 0.2 / 0.1 under a CPU cap of 0.3 with a CPU-bound owner, then a cap change`, { timeout: 40_000 }, async () => {
  requireHelper(); // fails with a clear message when the helper is not built
  const ncpu = os.cpus().length;
  let tree: CgroupTree | null = null;
  if (mechanism === 'cgroup') {
    const probe = probeCgroupTree();
    assert.ok(probe.ok, `no cgroup on this machine: ${probe.ok ? '' : probe.reason}`);
    tree = probe.tree;
  }
  // SCHED_RR would escape a cgroup's quota: there dual priority is the parent's weight
  const launcher = await HelperLauncher.create({ rt: mechanism === 'ptrace' && process.env.INTERCEPTOR_NO_RT !== '1' });
  const owner = spawn('/bin/sh', SPIN, { stdio: 'ignore' });
  const cpu = tree ? new CgroupCpuScheduler({ clock: realClock, ncpu, tree }) : new CpuScheduler({ clock: realClock, ncpu, sliceMs: 20 });
  try {
    const a = await launcher.launch('/bin/sh', SPIN);
    const b = await launcher.launch('/bin/sh', SPIN);
    assert.equal(a.session.hello.ncpu, ncpu);
    console.log(`helper dual priority (--rt): ${a.session.hello.features.rt}`);
    cpu.setCap(0.3);
    cpu.addApp('a', a.session, 0.2);
    cpu.addApp('b', b.session, 0.1);
    if (tree) {
      const own = readFileSync(`/proc/${a.session.hello.appPid}/cgroup`, 'utf8');
      assert.ok(own.includes(`${path.basename(tree.dir)}/a`), `the app is not in its cgroup: ${own}`);
    }
    const pids = [a.session.hello.appPid, b.session.hello.appPid, owner.pid!];
    const sample = async () => Promise.all(pids.map(async (p) => (await procCpuNs(p)) ?? NaN));
    await sleep(1000); // warm-up
    let t0 = performance.now();
    let c0 = await sample();
    await sleep(10_000);
    let c1 = await sample();
    let wall = performance.now() - t0;
    const share = (i: number) => (c1[i]! - c0[i]!) / 1e6 / (wall * ncpu);
    const [ra, rb, ro] = [share(0), share(1), share(2)];
    const msg = `a ${ra.toFixed(4)} b ${rb.toFixed(4)} owner ${ro.toFixed(4)} (machine fractions, ${ncpu} cores)`;
    console.log(msg);
    assert.ok(Math.abs(ra - 0.2) <= 0.01, `app a: ${msg}`);
    assert.ok(Math.abs(rb - 0.1) <= 0.01, `app b: ${msg}`);
    // Alone on the machine the owner gets ~0.5 (one thread); other load on a shared machine lowers it.
    assert.ok(ro > 0.05, `the owner process ran meanwhile: ${msg}`);

    // Cap change mid-run: 0.3 → 0.1 takes effect (shares scale down proportionally).
    cpu.setCap(0.1);
    await sleep(500);
    t0 = performance.now();
    c0 = await sample();
    await sleep(3000);
    c1 = await sample();
    wall = performance.now() - t0;
    const total = share(0) + share(1);
    console.log(`after cap 0.1: a ${share(0).toFixed(4)} b ${share(1).toFixed(4)} total ${total.toFixed(4)}`);
    assert.ok(Math.abs(total - 0.1) <= 0.01, `total after the cap change: ${total}`);

    // Cap removed: the apps run free at once.
    cpu.setCap(null);
    await sleep(300);
    c0 = await sample();
    t0 = performance.now();
    await sleep(1000);
    c1 = await sample();
    wall = performance.now() - t0;
    // Uncapped, the apps' group competes with the owner's processes at an equal weight (dual
    // priority is off without a cap), so what it gets depends on the machine's other load: the
    // quota is gone if it gets well past the last cap (0.1). (Seen: 0.31 with the test runner busy.)
    assert.ok(share(0) + share(1) > 0.2, `uncapped apps run free: ${share(0) + share(1)}`);
  } finally {
    cpu.dispose();
    owner.kill('SIGKILL');
    await launcher.close();
  }
});
}

test('real processes (cgroup): an uncapped app stays out of our cgroups; a cap moves its whole tree in, children forked before and after; no cap, out again', { timeout: 30_000 }, async () => {
  requireHelper();
  const probe = probeCgroupTree();
  assert.ok(probe.ok, `no cgroup on this machine: ${probe.ok ? '' : probe.reason}`);
  const tree = probe.tree;
  const launcher = await HelperLauncher.create({ rt: false });
  const cpu = new CgroupCpuScheduler({ clock: realClock, ncpu: os.cpus().length, tree });
  // (cgroup v1 or v2: a line of /proc/<pid>/cgroup names the app's cgroup)
  const inside = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(`${path.basename(tree.dir)}/app`);
    } catch {
      return null; // gone meanwhile
    }
  };
  const treeOf = (root: number): number[] => {
    const kids = (p: number): number[] => {
      try {
        return readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      } catch {
        return [];
      }
    };
    const out: number[] = [];
    for (const q = [root]; q.length; ) {
      const found = kids(q.pop()!);
      out.push(...found);
      q.push(...found);
    }
    return out;
  };
  // (the app's processes: the helper's own child, not traced by it, stays out of its cgroup)
  const traced = (pid: number, by: number) => {
    try {
      return readFileSync(`/proc/${pid}/status`, 'utf8').includes(`\nTracerPid:\t${by}\n`);
    } catch {
      return false;
    }
  };
  const where = (helperPid: number) =>
    treeOf(helperPid)
      .filter((p) => traced(p, helperPid))
      .map((p) => ({ p, in: inside(p) }))
      .filter((x) => x.in !== null);
  const helperChildIn = (helperPid: number) => treeOf(helperPid).filter((p) => !traced(p, helperPid)).some((p) => inside(p));
  try {
    // a child forked before the cap (sleep 60), and one every 100 ms after it
    const app = await launcher.launch('/bin/sh', ['-c', 'sleep 60 & while :; do sleep 0.1; done']);
    const helperPid = app.session.hello.helperPid;
    cpu.addApp('app', app.session, 0.5);
    await sleep(300);
    let seen = where(helperPid);
    assert.ok(seen.length >= 2 && seen.every((x) => !x.in), `uncapped, its processes are in no cgroup of ours: ${JSON.stringify(seen)}`);
    cpu.setCap(0.5);
    seen = where(helperPid);
    assert.ok(seen.length >= 2 && seen.every((x) => x.in), `capped, every process is in the app's cgroup: ${JSON.stringify(seen)}`);
    assert.ok(tree.procs('app').length >= 2);
    assert.equal(helperChildIn(helperPid), false, "the helper's own child stays out");
    await sleep(300); // children forked since
    seen = where(helperPid);
    assert.ok(seen.every((x) => x.in), `children forked under the cap are in too: ${JSON.stringify(seen)}`);
    cpu.setCap(null);
    seen = where(helperPid);
    assert.ok(seen.length >= 2 && seen.every((x) => !x.in), `no cap: out again: ${JSON.stringify(seen)}`);
    assert.deepEqual(tree.procs('app'), []);
    cpu.setCeiling('app', 0.25);
    assert.ok(where(helperPid).every((x) => x.in), 'a ceiling bounds it too: in');
  } finally {
    cpu.dispose();
    await launcher.close();
  }
});

test('real cgroups (cgroup): a process the kernel refuses to move under a new cap is a warning, never silence; a process gone meanwhile is not', () => {
  const probe = probeCgroupTree();
  assert.ok(probe.ok, `no cgroup on this machine: ${probe.ok ? '' : probe.reason}`);
  const tree = probe.tree;
  const cpu = new CgroupCpuScheduler({ clock: realClock, ncpu: os.cpus().length, tree });
  const warnings: string[] = [];
  cpu.on('warning', (appId, message) => warnings.push(`${appId}: ${message}`));
  const clock = new VirtualClock();
  // the app's pid is 2: kthreadd, a kernel thread, which the kernel never moves (EINVAL)
  const kernelThread = new FakeSession(clock, 2, 'kthread');
  // this one has exited: moving it fails with ESRCH, which is no refusal
  const gone = new FakeSession(clock, 2, 'gone');
  const exited = spawnSync('/bin/true');
  Object.assign(gone.hello, { appPid: exited.pid });
  try {
    assert.equal(readFileSync('/proc/2/stat', 'utf8').split(' ')[1], '(kthreadd)');
    cpu.addApp('kthread', kernelThread, 0.5);
    cpu.addApp('gone', gone, 0.5);
    cpu.setCap(0.5);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /^kthread: cannot move kthread into its cgroup: its CPU cap is not enforced \(process 2: .*EINVAL/);
    cpu.setCap(0.4); // still not in: tried again, said again
    assert.equal(warnings.length, 2);
  } finally {
    cpu.dispose();
    gone.closed = true;
    kernelThread.closed = true;
  }
});
