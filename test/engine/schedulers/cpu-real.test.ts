// Both CPU mechanisms on real processes under the real native helper (no fakes): ptrace
// slices (CpuScheduler) and the kernel's bandwidth control (CgroupCpuScheduler on this
// machine's cgroups). Two CPU-bound apps with nominal shares 0.2 and 0.1 under
// S(P2P, CPU) = 0.3 receive 0.2 ± 0.01 and 0.1 ± 0.01 of the machine over 10 s while a
// CPU-bound owner process runs; then a cap change mid-run takes effect. Shares are measured
// from the kernel's per-process CPU clocks (/proc/<pid>/stat), independently of the
// scheduler's accounting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { probeCgroupTree, type CgroupTree } from '../../../electron/engine/cgroups/tree.js';
import { realClock } from '../../../electron/engine/clock.js';
import { CpuScheduler } from '../../../electron/engine/schedulers/cpu.js';
import { CgroupCpuScheduler } from '../../../electron/engine/schedulers/cpu-cgroup.js';
import { HelperLauncher, procCpuNs, requireHelper } from '../../../bench/lib/helper-apps.js';

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
