// Overhead of the native helper (the Catcher), measured against peers in the
// same run:
//   1. added cost per intercepted syscall (median, µs) vs (a) no interception
//      and (b) a bare seccomp user-notification round trip (the floor), with
//      (c) a minimal ptrace tracer that only resumes the calls, to show how
//      much of the cost is the ptrace mechanism itself;
//   2. uncapped throughput of a loopback TCP transfer and of a file copy with
//      64 KiB I/O, under the helper vs native.
// Rounds are interleaved (native, floor, helper, native, ...) and medians are
// reported, so load from other processes hits all variants alike.
// Usage: node --import tsx bench/helper-overhead.ts [--rounds N]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CatcherServer, helperArgs, helperBinaryPath } from '../electron/engine/catcher/index.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 5;
const CALLS = 20000;
const TCP_BYTES = 512 * 1024 * 1024;
const FILE_BYTES = 256 * 1024 * 1024;

const make = spawnSync('make', ['-C', path.join(repo, 'native'), '--no-print-directory', 'helper', 'bench'], { stdio: 'inherit' });
if (make.status !== 0) throw new Error('make -C native bench failed');
const SYSBENCH = path.join(repo, 'native', 'build', 'bench', 'sysbench');

function runNative(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(SYSBENCH, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`sysbench ${args.join(' ')} exited ${code}`))));
  });
}

let server: CatcherServer;
async function runHelper(args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
  const { token, session } = server.expect({ timeoutMs: 10000 });
  const p = spawn(helperBinaryPath(), helperArgs({ controlPath: server.path }, SYSBENCH, args), {
    env: { ...process.env, ...extraEnv, INTERCEPTOR_HELPER_TOKEN: token },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
  const s = await session;
  await s.free(); // uncapped: every byte resource is unlimited by default
  const code = await exited;
  if (code !== 0) throw new Error(`helper run of ${args.join(' ')} exited ${code}`);
  return out;
}

const median = (xs: number[]): number => {
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m]! : (a[m - 1]! + a[m]!) / 2;
};
const latUs = (out: string): number => Number(out.trim().split(/\s+/)[0]) / 1000;
const mbps = (out: string): number => {
  const [bytes, secs] = out.trim().split(/\s+/).map(Number);
  return bytes! / secs! / 1e6;
};

async function main(): Promise<void> {
  server = await CatcherServer.listen();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'interceptor-bench-'));
  const src = path.join(dir, 'src');
  writeFileSync(src, Buffer.alloc(FILE_BYTES, 7));
  try {
    console.log(`interceptor-helper overhead — ${os.cpus().length} CPUs, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}, ${ROUNDS} interleaved rounds, medians`);
    console.log('');
    console.log('1. Cost per intercepted syscall (median of per-round medians of ' + CALLS + ' calls)');
    const kinds = [
      ['file', 'pwrite(1 B) to a regular file: charged to disk', '2'],
      ['null', 'write(1 B) to /dev/null: intercepted, not charged (1 ptrace stop)', '1'],
    ] as const;
    for (const [kind, label, stops] of kinds) {
      const nat: number[] = [];
      const floor: number[] = [];
      const bare: number[] = [];
      const helper: number[] = [];
      const exitStop: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        nat.push(latUs(await runNative(['lat', kind, String(CALLS)])));
        floor.push(latUs(await runNative(['unotif', kind, String(CALLS)])));
        bare.push(latUs(await runNative(['ptrace', stops, kind, String(CALLS)])));
        helper.push(latUs(await runHelper(['lat', kind, String(CALLS)])));
        if (kind === 'file') exitStop.push(latUs(await runHelper(['lat', kind, String(CALLS)], { INTERCEPTOR_HELPER_NO_WINDOWS: '1' })));
      }
      const n = median(nat);
      const f = median(floor) - n;
      const b = median(bare) - n;
      const h = median(helper) - n;
      console.log(`   ${label}`);
      console.log(`     (a) no interception              ${n.toFixed(2).padStart(7)} µs/call`);
      console.log(`     (b) user-notif round trip, added ${f.toFixed(2).padStart(7)} µs   (the floor)`);
      console.log(`     (c) bare ptrace, ${stops} stop(s), added ${b.toFixed(2).padStart(6)} µs   = ${(b / f).toFixed(2)}x the floor (the mechanism alone)`);
      if (kind === 'file') {
        const e = median(exitStop) - n;
        console.log(`     helper, uncapped, added          ${h.toFixed(2).padStart(7)} µs   = ${(h / f).toFixed(2)}x the floor (target <= 2x)  [1 stop + I/O window]`);
        console.log(`     helper, exit-stop path, added    ${e.toFixed(2).padStart(7)} µs   = ${(e / f).toFixed(2)}x the floor  [2 stops: what every call costs in credit mode]`);
      } else {
        console.log(`     helper, added                    ${h.toFixed(2).padStart(7)} µs   = ${(h / f).toFixed(2)}x the floor (target <= 2x)`);
      }
    }
    console.log('');
    console.log('2. Uncapped throughput, 64 KiB I/O');
    const tcpN: number[] = [];
    const tcpH: number[] = [];
    const cpN: number[] = [];
    const cpH: number[] = [];
    const dst = path.join(dir, 'dst');
    for (let r = 0; r < ROUNDS; r++) {
      tcpN.push(mbps(await runNative(['tcp', String(TCP_BYTES)])));
      tcpH.push(mbps(await runHelper(['tcp', String(TCP_BYTES)])));
      cpN.push(mbps(await runNative(['fcopy', src, dst])));
      cpH.push(mbps(await runHelper(['fcopy', src, dst])));
    }
    const row = (label: string, nat: number[], hel: number[]) => {
      const a = median(nat);
      const b = median(hel);
      const range = (xs: number[]) => `[${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}]`;
      // per-round ratios show how much of the spread is load from other processes
      const ratios = nat.map((x, i) => hel[i]! / x);
      console.log(`   ${label.padEnd(44)} native ${a.toFixed(0).padStart(6)} MB/s ${range(nat)}   helper ${b.toFixed(0).padStart(6)} MB/s ${range(hel)}`);
      console.log(`   ${''.padEnd(44)} = ${(b / a).toFixed(2)}x native (target >= 0.9x); per-round ratios ${ratios.map((r) => r.toFixed(2)).join(' ')}`);
    };
    row(`loopback TCP, ${TCP_BYTES >> 20} MiB (both ends traced)`, tcpN, tcpH);
    row(`file copy, ${FILE_BYTES >> 20} MiB (page cache)`, cpN, cpH);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
