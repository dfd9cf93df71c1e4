// Overhead of the native helper (the Catcher), measured against peers in the
// same run:
//   1. added cost per intercepted syscall (median, µs) vs (a) no interception
//      and (b) a bare seccomp user-notification round trip WITH the sync
//      wake-up (Linux 6.6+; the floor of any per-call interception), also
//      (b') without it, (b'') with it from another process (as the helper is:
//      each round trip also switches address spaces) and (c) a minimal ptrace tracer that only resumes the
//      calls, to show how much of the cost is the mechanism itself. The helper
//      runs with its user-notification path (default) and with the old ptrace
//      path (INTERCEPTOR_HELPER_NO_UNOTIF=1);
//   2. uncapped throughput of a loopback TCP transfer and of a file copy with
//      64 KiB I/O: native, under the helper (both paths), and under the bare
//      sync user-notification supervisor (the bound any per-call interception
//      can reach here).
// Rounds are interleaved (native, floor, helper, native, ...) and medians are
// reported, so load from other processes hits all variants alike.
// Usage: node --import tsx bench/helper-overhead.ts [--rounds N]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CatcherServer, helperArgs, helperBinaryPath } from '../electron/engine/catcher/index.js';
import { buildSysbench, SYSBENCH } from './lib/sysbench.js';

const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 5;
const CALLS = 20000;
const TCP_BYTES = 512 * 1024 * 1024;
const FILE_BYTES = 256 * 1024 * 1024;

buildSysbench();

function runNative(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(SYSBENCH, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`sysbench ${args.join(' ')} exited ${code}`))));
  });
}

let server: CatcherServer;
type Setup = (s: Awaited<ReturnType<CatcherServer['expect']>['session']>) => Promise<void>;
async function runHelper(args: string[], extraEnv: Record<string, string> = {}, setup?: Setup): Promise<string> {
  const { token, session } = server.expect({ timeoutMs: 10000 });
  const p = spawn(helperBinaryPath(), helperArgs({ controlPath: server.path }, SYSBENCH, args), {
    env: { ...process.env, ...extraEnv, INTERCEPTOR_HELPER_TOKEN: token },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
  const s = await session;
  if (setup) await setup(s);
  await s.free(); // uncapped unless setup says otherwise: every byte resource is unlimited by default
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
    const OLD = { INTERCEPTOR_HELPER_NO_UNOTIF: '1' };
    const creditMode: Setup = async (s) => {
      await s.setLimitMode('disk', 'credit');
      await s.grant('disk', 1e15); // ample: every call reserves and settles, none is held
    };
    const netCredit: Setup = async (s) => {
      await s.setLimitMode('netUp', 'credit');
      await s.grant('netUp', 1e15);
    };
    const NO_SOCK = { INTERCEPTOR_HELPER_NO_SOCKNOTIF: '1' };
    const kinds = [
      ['file', 'pwrite(1 B) to a regular file: charged to disk', '2'],
      ['null', 'write(1 B) to /dev/null: intercepted, not charged', '1'],
      ['send', 'sendto(1 B) on a loopback UDP socket: charged to netUp', '2'],
      ['recv', 'recvfrom(MSG_DONTWAIT) on an empty UDP socket (EAGAIN): charged to netDown', '2'],
      ['tcpsend', 'send(1 B) on a non-blocking loopback TCP socket: charged to netUp', '2'],
      ['close', 'close of an fd that is not open (EBADF): keeps the fd-class cache exact', '2'],
      ['highclose', 'the same close of an fd above the fd-class cache (10 000+): not trapped by the helper', '2'],
      ['mprotect', 'mprotect of one page to RW: the memory broker (no ceiling set)', '1'],
      ['guard', 'mprotect of one page to read-only (RELRO, guard pages): cannot add to VmData, not trapped by the helper', '1'],
    ] as const;
    for (const [kind, label, stops] of kinds) {
      const m: Record<string, number[]> = { nat: [], sync: [], proc: [], plain: [], bare: [], helper: [], old: [], credit: [], exitStop: [], sockPtrace: [] };
      const sock = kind === 'send' || kind === 'recv' || kind === 'tcpsend';
      // not trapped by the helper's filter (nor by the floors', which install it): no ratio to a floor
      const untrapped = kind === 'highclose' || kind === 'guard';
      const bytes = kind !== 'close' && !untrapped && kind !== 'mprotect';
      const lat = ['lat', kind, String(CALLS)];
      for (let r = 0; r < ROUNDS; r++) {
        m.nat!.push(latUs(await runNative(lat)));
        m.sync!.push(latUs(await runNative(['unotif-sync', kind, String(CALLS)])));
        m.proc!.push(latUs(await runNative(['unotif-sync-proc', kind, String(CALLS)])));
        m.plain!.push(latUs(await runNative(['unotif', kind, String(CALLS)])));
        m.bare!.push(latUs(await runNative(['ptrace', stops, kind, String(CALLS)])));
        m.helper!.push(latUs(await runHelper(lat)));
        m.old!.push(latUs(await runHelper(lat, OLD)));
        if (kind === 'file') {
          m.credit!.push(latUs(await runHelper(lat, {}, creditMode)));
          m.exitStop!.push(latUs(await runHelper(lat, { INTERCEPTOR_HELPER_NO_WINDOWS: '1' })));
        }
        if (kind === 'send' || kind === 'tcpsend') m.credit!.push(latUs(await runHelper(lat, {}, netCredit)));
        if (sock) m.sockPtrace!.push(latUs(await runHelper(lat, NO_SOCK)));
      }
      const n = median(m.nat!);
      const add = (k: string) => median(m[k]!) - n;
      const f = add('sync');
      const line = (name: string, k: string, note = '') =>
        console.log(`     ${name.padEnd(38)} ${add(k).toFixed(2).padStart(7)} µs   = ${(add(k) / f).toFixed(2).padStart(5)}x the floor${note}`);
      // the helper is another process: its round trips also switch address spaces, which the
      // in-process floor does not (cheap on bare metal, ~7 µs more in some VMs)
      const vsProc = () => console.log(`     ${''.padEnd(38)} ${''.padStart(7)}        ${(add('helper') / add('proc')).toFixed(2).padStart(5)}x (b'')`);
      console.log(`   ${label}`);
      console.log(`     ${'(a) no interception'.padEnd(38)} ${n.toFixed(2).padStart(7)} µs/call`);
      if (untrapped) {
        const plain = (name: string, k: string, note: string) => console.log(`     ${name.padEnd(38)} ${add(k).toFixed(2).padStart(7)} µs   ${note}`);
        plain('helper, added', 'helper', '[not trapped]');
        plain('helper, ptrace path (NO_UNOTIF), added', 'old', '[not trapped]');
        plain(`(c) bare ptrace, ${stops} stop(s)`, 'bare', '(a tracer whose filter traps every such call)');
        continue;
      }
      console.log(`     ${'(b) user-notif + sync wake-up, added'.padEnd(38)} ${f.toFixed(2).padStart(7)} µs   (the floor)`);
      line("(b') user-notif, no sync wake-up", 'plain');
      line("(b'') (b) from another process", 'proc', '  (the floor of an out-of-process supervisor)');
      line(`(c) bare ptrace, ${stops} stop(s)`, 'bare', '  (the old mechanism alone)');
      if (!bytes) line('helper', 'helper', '  (target <= 2x)  [notification, answered CONTINUE]');
      else if (!sock) line('helper, uncapped', 'helper', '  (target <= 2x)  [notification + I/O window]');
      else if (kind === 'tcpsend') line('helper, uncapped', 'helper', '  (target <= 2x)  [notification, answered CONTINUE + the socket meter]');
      else line('helper, uncapped', 'helper', '  (target <= 2x)  [notification; the helper makes the call]');
      vsProc();
      if (kind === 'file') line('helper, credit mode', 'credit', '  [notification + reservation]');
      if (kind === 'send') line('helper, credit mode', 'credit', '  [notification; the helper makes the call]');
      if (kind === 'tcpsend') line('helper, credit mode', 'credit', '  [notification; the helper makes the call + the socket meter]');
      if (sock) line('helper, socket ptrace path (NO_SOCKNOTIF)', 'sockPtrace', '  [2 ptrace stops: entry + exit]');
      if (kind === 'close') line('helper, ptrace path (NO_UNOTIF)', 'old', '  [2 ptrace stops: entry + exit]');
      else if (kind === 'mprotect') line('helper, ptrace path (NO_UNOTIF)', 'old', '  [1 ptrace stop]');
      else if (!sock) line('helper, ptrace path (NO_UNOTIF)', 'old', '  [1 ptrace stop + I/O window]');
      else line('helper, everything ptrace (NO_UNOTIF)', 'old', '  [2 ptrace stops]');
      if (kind === 'file') line('helper, exit-stop path (NO_WINDOWS)', 'exitStop', '  [2 stops: the old credit mode]');
    }
    console.log('');
    console.log('2. Uncapped throughput, 64 KiB I/O');
    const dst = path.join(dir, 'dst');
    const xfers = [
      [`loopback TCP, ${TCP_BYTES >> 20} MiB (both ends traced)`, ['tcp', String(TCP_BYTES)]],
      [`file copy, ${FILE_BYTES >> 20} MiB (page cache)`, ['fcopy', src, dst]],
    ] as const;
    const t: Record<string, number[]>[] = xfers.map(() => ({ nat: [], bound: [], procBound: [], helper: [], old: [] }));
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < xfers.length; i++) {
        const args = [...xfers[i]![1]];
        t[i]!.nat!.push(mbps(await runNative(args)));
        t[i]!.bound!.push(mbps(await runNative(['under', 'unotif-sync', ...args])));
        t[i]!.procBound!.push(mbps(await runNative(['under', 'unotif-sync-proc', ...args])));
        t[i]!.helper!.push(mbps(await runHelper(args)));
        t[i]!.old!.push(mbps(await runHelper(args, OLD)));
      }
    }
    const range = (xs: number[]) => `[${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}]`;
    for (let i = 0; i < xfers.length; i++) {
      const m = t[i]!;
      const a = median(m.nat!);
      const b = median(m.bound!);
      console.log(`   ${xfers[i]![0]}`);
      console.log(`     ${'native'.padEnd(36)} ${a.toFixed(0).padStart(6)} MB/s ${range(m.nat!)}`);
      const pb = median(m.procBound!);
      console.log(`     ${'bare sync user-notif supervisor'.padEnd(36)} ${b.toFixed(0).padStart(6)} MB/s ${range(m.bound!)}   = ${(b / a).toFixed(2)}x native (the bound)`);
      console.log(`     ${'the same from another process'.padEnd(36)} ${pb.toFixed(0).padStart(6)} MB/s ${range(m.procBound!)}   = ${(pb / a).toFixed(2)}x native (the bound of an out-of-process supervisor)`);
      for (const [name, k] of [['helper (notifications)', 'helper'], ['helper, ptrace path (NO_UNOTIF)', 'old']] as const) {
        const h = median(m[k]!);
        // per-round ratios show how much of the spread is load from other processes
        const ratios = m.nat!.map((x, j) => m[k]![j]! / x);
        console.log(`     ${name.padEnd(36)} ${h.toFixed(0).padStart(6)} MB/s ${range(m[k]!)}   = ${(h / a).toFixed(2)}x native, ${(h / b).toFixed(2)}x the bound, ${(h / pb).toFixed(2)}x the other process's; per-round vs native ${ratios.map((x) => x.toFixed(2)).join(' ')}`);
      }
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
