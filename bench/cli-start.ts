// How long `interceptor run` takes to start an app, against peers in the same run: the app
// spawned directly, `interceptor run` as installed (bin/interceptor: with no cap the helper
// starts first and runs the app while node starts, native/src/front.c), the CLI under node
// (bin/interceptor.js: the CLI bundle that `npm run build` makes, what any `run` with options
// starts from), and the same CLI from its ~160 compiled modules (what it ran before the bundle,
// and what it falls back to when a later tsc run left the bundle stale).
// "To the app": from spawning the command to the app's first line of output (`date +%s%N`, wall
// clock); "total": to the command's exit. Rounds are interleaved; medians are reported.
// --peer DIR: also `interceptor run` from another built checkout (DIR/bin/interceptor.js, under node), e.g. the
// commit before a change, in the same interleaved rounds.
// Usage: node --import tsx bench/cli-start.ts [--rounds N] [--peer DIR]   (after `npm run build`)
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 15;
const peerArg = process.argv.indexOf('--peer');
const PEER = peerArg > 0 ? path.resolve(process.argv[peerArg + 1] ?? '') : null;
if (PEER && !existsSync(path.join(PEER, 'bin/interceptor.js'))) throw new Error(`--peer ${PEER}: no bin/interceptor.js there`);
const MODULES = path.join(repo, 'dist/electron/engine/cli/main.js');
const BUNDLE = path.join(repo, 'dist/electron/engine/cli/main.bundle.mjs');
if (!existsSync(BUNDLE) || statSync(BUNDLE).mtimeMs < statSync(MODULES).mtimeMs) {
  throw new Error('the CLI bundle is missing or older than dist/: run `npm run build` first');
}

const APP = ['/bin/sh', '-c', 'date +%s%N'];
const fromModules = `const { main } = await import(${JSON.stringify(MODULES)}); const code = await main(process.argv.slice(1)); process.stdout.write('', () => process.exit(code));`;
const VARIANTS: Record<string, string[]> = {
  'app alone': APP,
  'interceptor run (front)': [path.join(repo, 'bin/interceptor'), 'run', '--', ...APP],
  'interceptor run (bundle)': [process.execPath, path.join(repo, 'bin/interceptor.js'), 'run', '--', ...APP],
  'interceptor run (modules)': [process.execPath, '--input-type=module', '-e', fromModules, 'run', '--', ...APP],
  ...(PEER ? { 'interceptor run (peer)': [process.execPath, path.join(PEER, 'bin/interceptor.js'), 'run', '--', ...APP] } : {}),
};

/** Wall-clock ms now, with sub-ms precision (comparable with the app's `date +%s%N`). */
const wallMs = () => performance.timeOrigin + performance.now();

function once(argv: string[]): Promise<{ toApp: number; total: number }> {
  return new Promise((resolve, reject) => {
    const start = wallMs();
    const p = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => {
      const end = wallMs();
      const line = out.split('\n').find((l) => /^\d{19}$/.test(l.trim()));
      if (code !== 0 || !line) return reject(new Error(`${argv.join(' ')}: exit ${code}, output ${JSON.stringify(out)}`));
      resolve({ toApp: Number(BigInt(line.trim()) / 1000n) / 1000 - start, total: end - start });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results = new Map<string, { toApp: number[]; total: number[] }>(Object.keys(VARIANTS).map((k) => [k, { toApp: [], total: [] }]));
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, argv] of Object.entries(VARIANTS)) {
    const { toApp, total } = await once(argv);
    results.get(name)!.toApp.push(toApp);
    results.get(name)!.total.push(total);
  }
}
console.log(`start of an app, median of ${ROUNDS} interleaved rounds (ms)`);
console.log(`${'variant'.padEnd(28)}${'to the app'.padStart(12)}${'total'.padStart(10)}`);
for (const [name, r] of results) console.log(`${name.padEnd(28)}${median(r.toApp).toFixed(1).padStart(12)}${median(r.total).toFixed(1).padStart(10)}`);
