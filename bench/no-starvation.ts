// No app starves beside a CPU hog (bench/lib/starvation.ts), on both CPU mechanisms, with the
// strict targets the test leaves to a quiet machine: prints each figure and whether it is met.
// Usage: node --import tsx bench/no-starvation.ts [--seconds=60]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine } from '../electron/engine/index.js';
import { requireHelper } from './lib/helper-apps.js';
import { runStarvationScenario, strictTargets } from './lib/starvation.js';

const secondsArg = process.argv.find((a) => a.startsWith('--seconds='));
const SECONDS = secondsArg ? Number(secondsArg.split('=')[1]) : 60;
if (!(SECONDS >= 10)) throw new Error(`--seconds=${SECONDS}: at least 10`);
requireHelper();

let missed = 0;
for (const mechanism of ['ptrace', 'cgroup'] as const) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'interceptor-starve-bench-'));
  const engine = await createEngine({ autostart: false, configDir: dir });
  try {
    await engine.invoke('updateSettings', { cpuMechanism: mechanism });
    const inForce = (await engine.invoke('getState', {})).platform.cpu.mechanism;
    if (inForce !== mechanism) {
      console.log(`${mechanism}: not available here (${inForce} in force)`);
      continue;
    }
    const f = await runStarvationScenario(engine, SECONDS);
    console.log(`${mechanism}, ${SECONDS} s:\n${f.report.replace(/^/gm, '  ')}`);
    for (const [what, met] of strictTargets(f)) {
      console.log(`  ${met ? 'met   ' : 'MISSED'} ${what}`);
      if (!met) missed++;
    }
  } finally {
    await engine.shutdown({ leaveRunning: false });
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(missed ? `${missed} target(s) missed` : 'every target met');
