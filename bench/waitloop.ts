// Wait loops under CPU caps (benchmark: prints figures; run it on a quiet machine).
//
//   node --import tsx bench/waitloop.ts [--caps=0.1,0.5,0.9] [--seconds=4] [--period=100]
//
// Each wait of native/test-programs/waitloop.c (one blocking call with a PERIOD timeout,
// retried on EINTR with the same timeout, as aria2's event loop does) runs natively and, in
// the same run, under each CPU mechanism, beside a CPU hog that keeps the cap busy:
//   transparent  the engine's ptrace mechanism: sleeping threads are never stopped
//   cgroup       the kernel's bandwidth control (per-app quotas under one parent quota)
//   stop-all     ptrace stops of every thread, waits that fail with EINTR restarted in full
//   plain        ptrace stops of every thread, nothing restarted: the paper's SIGSTOP-like stops
// Printed: ticks per mechanism as a fraction of native ticks, and EINTRs the loop saw.
// Target: ≥ 0.9 of native ticks and no EINTR for the engine's mechanisms.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeCgroupTree } from '../electron/engine/cgroups/tree.js';
import { realClock } from '../electron/engine/clock.js';
import { CpuScheduler } from '../electron/engine/schedulers/cpu.js';
import { CgroupCpuScheduler } from '../electron/engine/schedulers/cpu-cgroup.js';
import { HelperLauncher, requireHelper } from './lib/helper-apps.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const caps = (opt('caps') ?? '0.1,0.5,0.9').split(',').map(Number);
const seconds = Number(opt('seconds') ?? 4);
const period = Number(opt('period') ?? 100);
const ncpu = os.cpus().length;
const MODES = ['epoll_wait', 'epoll_pwait2', 'select', 'poll', 'nanosleep', 'futex', 'sigtimedwait'];
type Mechanism = 'transparent' | 'cgroup' | 'stop-all' | 'plain';
const MECHANISMS: Mechanism[] = ['transparent', 'cgroup', 'stop-all', 'plain'];
const waitloop = path.join(here, '..', 'native', 'build', 'test', 'waitloop');
const spinner = path.join(here, '..', 'native', 'build', 'test', 'spinner');

interface Result { ticks: number; eintr: number }
const parse = (out: string): Result => ({ ticks: Number(/ticks=(\d+)/.exec(out)?.[1] ?? NaN), eintr: Number(/eintr=(\d+)/.exec(out)?.[1] ?? NaN) });

function native(mode: string): Promise<Result> {
  const child = spawn(waitloop, [mode, String(period), String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((r) => child.on('close', () => r(parse(out))));
}

/** The loops and a hog under one CPU mechanism at cap `cap`; the hog has 0.8 of the cap as its share. */
async function capped(mechanism: Mechanism, cap: number): Promise<Result[]> {
  const stops = mechanism === 'stop-all' ? 'all' : mechanism === 'plain' ? 'plain' : 'transparent';
  const env = { INTERCEPTOR_HELPER_STOPS: stops };
  const launcher = await HelperLauncher.create({ rt: mechanism !== 'cgroup' });
  let cpu: CpuScheduler | CgroupCpuScheduler;
  if (mechanism === 'cgroup') {
    const probe = probeCgroupTree();
    if (!probe.ok) throw new Error(probe.reason);
    cpu = new CgroupCpuScheduler({ clock: realClock, ncpu, tree: probe.tree });
  } else {
    cpu = new CpuScheduler({ clock: realClock, ncpu });
  }
  try {
    cpu.setCap(cap);
    const hog = await launcher.launch(spinner, [String(ncpu)], { env });
    cpu.addApp('hog', hog.session, 0.8 * cap);
    const loops = await Promise.all(MODES.map((m) => launcher.launch(waitloop, [m, String(period), String(seconds)], { env })));
    loops.forEach((l, i) => cpu.addApp(`loop${i}`, l.session, 0));
    // a loop that cannot reach its timeout (plain, stop-all) never ends by itself: free it after a while
    const deadline = setTimeout(() => loops.forEach((l, i) => cpu.removeApp(`loop${i}`)), (seconds + 5) * 1000);
    await Promise.all(loops.map((l) => l.exited));
    clearTimeout(deadline);
    return loops.map((l) => parse(l.stdout()));
  } finally {
    cpu.dispose();
    await launcher.close();
  }
}

async function main(): Promise<void> {
  requireHelper();
  console.log(`wait loops (${period} ms timeouts, ${seconds} s, retried on EINTR with the same timeout) beside a CPU hog, ${ncpu} cores`);
  console.log('ticks as a fraction of native ticks in the same run; EINTRs the loop saw\n');
  const lines: string[] = [];
  for (const cap of caps) {
    for (const mechanism of MECHANISMS) {
      const [n, c] = await Promise.all([Promise.all(MODES.map(native)), capped(mechanism, cap)]);
      const cells = MODES.map((m, i) => `${m} ${(c[i]!.ticks / n[i]!.ticks).toFixed(2)}${c[i]!.eintr ? ` (${c[i]!.eintr} EINTR)` : ''}`);
      const worst = Math.min(...MODES.map((_, i) => c[i]!.ticks / n[i]!.ticks));
      const eintr = c.reduce((x, r) => x + r.eintr, 0);
      const line = `cap ${(cap * 100).toFixed(0).padStart(2)} %  ${mechanism.padEnd(11)}  worst ${worst.toFixed(2)}, EINTR ${eintr}   ${cells.join('  ')}`;
      console.log(line);
      lines.push(line);
    }
    console.log('');
  }
  const dir = path.join(here, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'waitloop-output.txt'), lines.join('\n') + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
