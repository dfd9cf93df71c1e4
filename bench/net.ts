// Network benchmark: a loopback TCP and a UDP upload capped at several rates, under
// Interceptor (the netUp byte scheduler and the native helper) and under `trickle`
// (LD_PRELOAD shaper), side by side in the same run. Prints the achieved rate and its
// smoothness: stddev/mean of the rate over 100 ms windows (0 = perfectly smooth).
//
//   node --import tsx bench/net.ts [--rates=0.5,2,8] [--seconds=5] [--tools=interceptor,trickle]
//
// The sender (the "P2P app") is bench/lib/sender.c (plain send()/sendto(), dynamically
// linked, so trickle's LD_PRELOAD sees its calls; built with cc at start) writing as fast
// as the socket allows; the receiver is this process. Rates in MB/s (10^6 bytes/s);
// trickle takes KB/s (1024). trickle cannot shape UDP (it only wraps stream sockets),
// nor Node/Go/static programs (docs/ARCHITECTURE.md, "Two interception paths"); both are reported as measured.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { realClock } from '../electron/engine/clock.js';
import { ByteScheduler } from '../electron/engine/schedulers/bytes.js';
import { HelperLauncher, requireHelper } from './lib/helper-apps.js';
import { sink } from './lib/loopback.js';

type Tool = 'interceptor' | 'trickle' | 'none';
type Proto = 'tcp' | 'udp';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const rates = (opt('rates') ?? '0.5,2,8').split(',').map(Number);
const seconds = Number(opt('seconds') ?? 5);
let tools = (opt('tools') ?? 'interceptor,trickle').split(',') as Tool[];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function buildSender(): string {
  if (spawnSync('sh', ['-c', 'command -v cc']).status !== 0) throw new Error('a C compiler (cc) is needed to build bench/lib/sender.c');
  const bin = path.join(mkdtempSync(path.join(os.tmpdir(), 'interceptor-net-')), 'sender');
  const r = spawnSync('cc', ['-O2', '-o', bin, path.join(here, 'lib', 'sender.c')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cc failed: ${r.stderr}`);
  return bin;
}
let SENDER = '';

interface Receiver {
  port: number;
  bytes: () => number;
  close: () => Promise<void>;
}

async function receiver(proto: Proto): Promise<Receiver> {
  if (proto === 'tcp') return sink();
  let bytes = 0;
  const sock = dgram.createSocket('udp4');
  sock.on('message', (m) => (bytes += m.length));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return { port: sock.address().port, bytes: () => bytes, close: async () => new Promise<void>((r) => sock.close(() => r())) };
}

interface Result {
  tool: Tool;
  proto: Proto;
  capMBs: number;
  rateMBs: number;
  errorPct: number;
  cv: number; // stddev/mean over 100 ms windows
  note: string;
}

async function measure(rx: Receiver): Promise<{ mean: number; cv: number }> {
  const windows: number[] = [];
  let last = rx.bytes();
  let lastT = performance.now();
  const end = lastT + seconds * 1000;
  while (performance.now() < end) {
    await sleep(100);
    const t = performance.now();
    const b = rx.bytes();
    windows.push(((b - last) * 1000) / (t - lastT));
    last = b;
    lastT = t;
  }
  const mean = windows.reduce((x, y) => x + y, 0) / windows.length;
  const sd = Math.sqrt(windows.reduce((x, y) => x + (y - mean) ** 2, 0) / windows.length);
  return { mean, cv: mean > 0 ? sd / mean : NaN };
}

async function runOne(tool: Tool, proto: Proto, capMBs: number): Promise<Result> {
  const rx = await receiver(proto);
  const cmd = [SENDER, proto, String(rx.port)];
  let launcher: HelperLauncher | null = null;
  let sched: ByteScheduler | null = null;
  let child: ChildProcess | null = null;
  let note = '';
  try {
    if (tool === 'interceptor') {
      launcher = await HelperLauncher.create();
      sched = new ByteScheduler('netUp', { clock: realClock });
      sched.setCap(capMBs * 1e6);
      const app = await launcher.launch(cmd[0]!, cmd.slice(1));
      sched.addApp('app', app.session, capMBs * 1e6);
      await app.session.free();
    } else if (tool === 'trickle') {
      const kbs = Math.max(1, Math.round((capMBs * 1e6) / 1024));
      child = spawn('trickle', ['-s', '-u', String(kbs), '-d', String(kbs), ...cmd], { stdio: 'ignore' });
      note = `trickle -s -u ${kbs} (KB/s)`;
    } else {
      child = spawn(cmd[0]!, cmd.slice(1), { stdio: 'ignore' });
    }
    await sleep(1500);
    const { mean, cv } = await measure(rx);
    const rateMBs = mean / 1e6;
    return { tool, proto, capMBs, rateMBs, errorPct: (rateMBs / capMBs - 1) * 100, cv, note };
  } finally {
    sched?.dispose();
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));
    }
    await launcher?.close();
    await rx.close();
  }
}

async function main(): Promise<void> {
  const skipped: Record<string, string> = {};
  try {
    requireHelper();
  } catch (e) {
    skipped.interceptor = (e as Error).message;
  }
  if (spawnSync('sh', ['-c', 'command -v trickle']).status !== 0) skipped.trickle = 'trickle is not installed (apt install trickle)';
  for (const t of tools) if (skipped[t]) console.log(`TOOL ${t} SKIPPED: ${skipped[t]}`);
  tools = tools.filter((t) => !skipped[t]);
  SENDER = buildSender();
  console.log(`loopback upload capped at ${rates.join(', ')} MB/s; ${seconds} s per run after 1.5 s warm-up; smoothness = stddev/mean over 100 ms windows`);
  console.log('tool          proto  cap MB/s  achieved MB/s  error %   stddev/mean  note');
  const results: Result[] = [];
  for (const proto of ['tcp', 'udp'] as const) {
    for (const cap of rates) {
      for (const tool of tools) {
        const r = await runOne(tool, proto, cap);
        results.push(r);
        console.log(
          `${tool.padEnd(13)} ${proto.padEnd(5)}  ${cap.toFixed(2).padStart(7)}   ${r.rateMBs.toFixed(3).padStart(12)}  ${r.errorPct.toFixed(1).padStart(7)}   ${r.cv.toFixed(3).padStart(10)}  ${r.note}`,
        );
      }
    }
  }
  const dir = path.join(here, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'net.json'), JSON.stringify({ seconds, rates, tools, skipped, results }, null, 2) + '\n');
  console.log(`wrote ${path.join(dir, 'net.json')}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
