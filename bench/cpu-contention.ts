// What CPU an uncapped app gets beside a busy owner, natively and under `interceptor run`: the
// app is N processes spinning for `--seconds`, the owner one spinning shell started just before;
// the app reports the CPU its processes used (os.times of its children). Uncapped, an app under
// Interceptor should get what it gets natively (an app kept in a cgroup of its own weighs as one
// thread of the owner's however many it runs: 1.1 cores of 2 against 1.3 natively for N = 2).
// Rounds alternate native and intercepted; medians are reported, with their ratio.
// Usage: node --import tsx bench/cpu-contention.ts [--procs 2] [--seconds 3] [--rounds 3]   (after `npm run build`)
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { positiveArg } from './lib/args.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PROCS = positiveArg('procs', 2);
const SECONDS = positiveArg('seconds', 3);
const ROUNDS = positiveArg('rounds', 3);

const BURN = [
  'import os, sys, time',
  'n, secs = int(sys.argv[1]), float(sys.argv[2])',
  'for _ in range(n):',
  '    if os.fork() == 0:',
  '        end = time.time() + secs',
  '        while time.time() < end: pass',
  '        os._exit(0)',
  'for _ in range(n): os.wait()',
  't = os.times()',
  'print("cpu", t.children_user + t.children_system, flush=True)',
].join('\n');
const APP = ['python3', '-c', BURN, String(PROCS), String(SECONDS)];
const VARIANTS: Record<string, string[]> = {
  native: APP,
  intercepted: [process.execPath, path.join(repo, 'bin/interceptor.js'), 'run', '--', ...APP],
};

/** CPU seconds the app's processes used, with the owner spinning beside them. */
async function once(argv: string[]): Promise<number> {
  const owner = spawn('/bin/sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 200));
    const app = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    app.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => app.on('exit', r));
    const m = /^cpu ([\d.]+)$/m.exec(out);
    if (code !== 0 || !m) throw new Error(`${argv.join(' ').slice(0, 80)}: exit ${code}, output ${out.slice(0, 200)}`);
    return Number(m[1]);
  } finally {
    owner.kill('SIGKILL');
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const got: Record<string, number[]> = { native: [], intercepted: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, argv] of Object.entries(VARIANTS)) got[name]!.push(await once(argv));
}
const [n, i] = [median(got.native!), median(got.intercepted!)];
console.log(`${PROCS} processes spinning ${SECONDS} s beside one spinning owner process, ${ROUNDS} rounds (CPU s of the app: median, all)`);
for (const [name, xs] of Object.entries(got)) console.log(`  ${name.padEnd(12)} ${median(xs).toFixed(2)} s  (${xs.map((x) => x.toFixed(2)).join(' ')})`);
console.log(`  intercepted / native: ${(i / n).toFixed(3)}`);
