// What the CPU stops cost the helper itself: the CPU its threads use per stop/run cycle (one
// `runSlice`: the tree runs a slice, then every thread is stopped or, asleep, watched) for an app
// of many sleeping threads, as a P2P client is (Syncthing ~30 threads, qBittorrent ~20, a Python
// tracker with a thread pool), against a peer in the same run: another helper build given with
// --peer (e.g. a build of an earlier commit), rounds interleaved, medians reported. Two runs with
// different --threads give the cost of one more thread (the rest is the cycle's own: commands,
// timers, waking the tracer).
// The app: python3 with N threads blocked in Event.wait() and its main thread in time.sleep().
// Usage: node --import tsx bench/stop-cost.ts [--threads 32] [--cycles 400] [--slice-ms 5]
//        [--rounds 5] [--peer /path/to/interceptor-helper]
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { CatcherServer, helperArgs, helperBinaryPath } from '../electron/engine/catcher/index.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const THREADS = Number(arg('threads', '32'));
const CYCLES = Number(arg('cycles', '400'));
const SLICE_MS = Number(arg('slice-ms', '5'));
const ROUNDS = Number(arg('rounds', '5'));
const PEER = arg('peer', '');
if (!(THREADS >= 1 && CYCLES >= 10 && SLICE_MS >= 1 && ROUNDS >= 1)) throw new Error('--threads >= 1, --cycles >= 10, --slice-ms >= 1, --rounds >= 1');

const APP = [
  'python3',
  '-c',
  `import threading, time
ev = threading.Event()
for _ in range(${THREADS}): threading.Thread(target=ev.wait, daemon=True).start()
print('ready', flush=True)
time.sleep(3600)`,
];

/** CPU time (ns) of every thread of a process so far, from schedstat. */
function processCpuNs(pid: number): number {
  let sum = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      sum += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      /* a thread that ended */
    }
  }
  return sum;
}

const server = await CatcherServer.listen();

/** One helper on the app: CPU of the helper per cycle (µs), over CYCLES cycles once the threads sleep. */
async function measure(helper: string): Promise<number> {
  const { token, session } = server.expect({ timeoutMs: 15000 });
  const p = spawn(helper, helperArgs({ controlPath: server.path }, APP[0]!, APP.slice(1)), {
    env: { ...process.env, INTERCEPTOR_HELPER_TOKEN: token },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  try {
    const s = await session;
    // run it until its threads are up and waiting
    for (let i = 0; i < 2000 && !out.includes('ready'); i++) await s.runSlice(20);
    if (!out.includes('ready')) throw new Error('the app did not start its threads');
    const threads = (await s.requestUsage(), s.lastUsage!.threads);
    if (threads !== THREADS + 1) throw new Error(`the app has ${threads} threads, not ${THREADS + 1}`);
    for (let i = 0; i < 20; i++) await s.runSlice(SLICE_MS); // (warm)
    const before = processCpuNs(p.pid!);
    for (let i = 0; i < CYCLES; i++) await s.runSlice(SLICE_MS);
    return (processCpuNs(p.pid!) - before) / CYCLES / 1000;
  } finally {
    p.kill('SIGKILL');
    await new Promise((r) => p.once('exit', r));
  }
}

const variants: Record<string, string> = { 'this helper': helperBinaryPath() };
if (PEER) variants[`peer (${PEER})`] = PEER;
const results = new Map<string, number[]>(Object.keys(variants).map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, helper] of Object.entries(variants)) results.get(name)!.push(await measure(helper));
}
await server.close();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`helper CPU per stop/run cycle: python3 with ${THREADS} threads asleep + its main thread, ${SLICE_MS}-ms slices, ${CYCLES} cycles, median of ${ROUNDS} interleaved rounds`);
for (const [name, xs] of results) {
  const m = median(xs);
  console.log(`${name.padEnd(40)} ${m.toFixed(1).padStart(8)} µs per cycle   (rounds: ${xs.map((x) => x.toFixed(0)).join(', ')})`);
}
const names = [...results.keys()];
if (names.length === 2) console.log(`ratio this / peer: ${(median(results.get(names[0]!)!) / median(results.get(names[1]!)!)).toFixed(2)}`);
