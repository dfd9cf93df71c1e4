// The kernel's CPU bandwidth control really in force, and never left behind: an engine in its
// own process puts a CPU-bound app in Interceptor's cgroup under a 20 % cap, which holds with an
// owner's CPU hog running; then the engine is killed with SIGKILL. With onEngineLoss
// "terminate" the app ends and every cgroup of ours is removed; with "continue" the app runs
// on uncapped (the quota is lifted, never throttled to nothing), and when it ends its cgroups go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bin } from '../../native/harness.js';
import { procCpuNs } from '../../../bench/lib/helper-apps.js';
import { ROOT, sleep, tempDir, until } from '../helpers.js';

const SPIN = ['-c', 'while :; do :; done'];

/** The machine fraction pid used over `ms`. */
async function share(pid: number, ms: number): Promise<number> {
  const c0 = (await procCpuNs(pid))!;
  const t0 = performance.now();
  await sleep(ms);
  return ((await procCpuNs(pid))! - c0) / 1e6 / (performance.now() - t0) / 2;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

for (const policy of ['terminate', 'continue'] as const) {
  test(`cgroup in force under an owner's hog, then SIGKILL of the engine (onEngineLoss ${policy}): nothing left throttled or behind`, { timeout: 60_000 }, async (t) => {
    const { dir, cleanup } = tempDir();
    t.after(cleanup);
    const owner = spawn('/bin/sh', SPIN, { stdio: 'ignore' });
    t.after(() => owner.kill('SIGKILL'));
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/engine/cgroups/fixtures/engine-child.ts'), dir, policy, bin('spinner')], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'],
    });
    t.after(() => child.kill('SIGKILL'));
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => out.includes('\n'), 30_000, 'the engine child to start its app');
    const { appPid, cpu } = JSON.parse(out.split('\n')[0]!) as { appPid: number; cpu: { mechanism: string; detail: string } };
    t.after(() => { try { process.kill(appPid, 'SIGKILL'); } catch { /* gone */ } });
    assert.equal(cpu.mechanism, 'cgroup', JSON.stringify(cpu));
    const own = readFileSync(`/proc/${appPid}/cgroup`, 'utf8');
    const m = /:cpu(?:,cpuacct)?:(\/interceptor-\d+-\d+)\/(\S+)/.exec(own) ?? /^0::(\/\S*interceptor-\d+-\d+)\/(\S+)/m.exec(own);
    assert.ok(m, `the app is not in Interceptor's cgroup: ${own}`);
    const mount = cpu.detail.slice(cpu.detail.lastIndexOf(', ') + 2);
    const parent = mount;
    const appDir = path.join(parent, m[2]!);
    assert.ok(existsSync(appDir), appDir);

    const capped = await share(appPid, 2000);
    console.log(`${policy}: the app used ${capped.toFixed(3)} of the machine under a 0.2 cap beside the owner's hog`);
    assert.ok(Math.abs(capped - 0.2) <= 0.02, `the cap does not hold: ${capped}`);

    child.kill('SIGKILL');
    if (policy === 'terminate') {
      await until(() => !alive(appPid), 5000, 'the app to end');
    } else {
      await sleep(1500);
      assert.ok(alive(appPid), 'the app was killed with onEngineLoss continue');
      const free = await share(appPid, 1500);
      console.log(`continue: after the engine's death the app uses ${free.toFixed(3)} of the machine`);
      assert.ok(free > 0.3, `the app is still throttled: ${free}`);
      process.kill(appPid, 'SIGKILL');
    }
    await until(() => !existsSync(appDir) && !existsSync(parent), 5000, `the cgroups to be removed (${appDir})`);
  });
}
