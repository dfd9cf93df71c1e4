// What counting an uncapped app's UDP costs (native/src/udpcount.c: two cgroup_skb programs on
// the app's own cgroup). The worst case: an app that does nothing but move datagrams — N
// datagrams of 1200 bytes from one of its UDP sockets to another on loopback, each sent and read
// (two packets through the programs, egress and ingress) — under `interceptor run` with no cap,
// with the counting on and off (INTERCEPTOR_HELPER_NO_UDPCOUNT=1), in alternate rounds; the
// median wall time and the system CPU time of each, and the ratio.
// Usage: node --import tsx bench/udp-count.ts [--datagrams N] [--rounds R]   (after `npm run build`, as root)
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { positiveArg } from './lib/args.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATAGRAMS = positiveArg('datagrams', 300_000);
const ROUNDS = positiveArg('rounds', 7);

const APP = [
  'import socket, sys',
  'r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(("127.0.0.1", 0)); r.setblocking(False)',
  's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(r.getsockname())',
  'b = b"x" * 1200; got = 0',
  `for i in range(${DATAGRAMS}):`,
  '    s.send(b)',
  '    try:',
  '        while True: got += len(r.recv(65536))',
  '    except BlockingIOError: pass',
  'print(got)',
].join('\n');

/** One run: wall seconds, and the system CPU seconds of the run's whole tree (its children's rusage). */
function once(countOff: boolean): Promise<{ wall: number; sys: number }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...(countOff ? { INTERCEPTOR_HELPER_NO_UDPCOUNT: '1' } : {}) };
    const start = performance.now();
    // (/usr/bin/time -f %S: the system time of the command and everything it waited for)
    const p = spawn('/usr/bin/time', ['-f', '%S', process.execPath, path.join(repo, 'bin/interceptor.js'), 'run', '-q', '--', 'python3', '-c', APP], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.stderr.on('data', (d: Buffer) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => {
      const wall = (performance.now() - start) / 1000;
      if (code !== 0 || Number(out.trim()) <= 0) return reject(new Error(`exit ${code}: ${out} ${err}`));
      resolve({ wall, sys: Number(err.trim().split('\n').at(-1)) });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const runs = { on: [] as { wall: number; sys: number }[], off: [] as { wall: number; sys: number }[] };
await once(false); // (warm-up: caches, the bundle's first compile)
for (let r = 0; r < ROUNDS; r++) {
  for (const which of r % 2 ? (['off', 'on'] as const) : (['on', 'off'] as const)) runs[which].push(await once(which === 'off'));
}
const [on, off] = [runs.on, runs.off].map((xs) => ({ wall: median(xs.map((x) => x.wall)), sys: median(xs.map((x) => x.sys)) }));
console.log(`${DATAGRAMS} datagrams of 1200 B sent and read by one app under interceptor run (uncapped), median of ${ROUNDS} alternate rounds`);
console.log(`UDP counted:     wall ${on!.wall.toFixed(3)} s, system CPU ${on!.sys.toFixed(3)} s`);
console.log(`UDP not counted: wall ${off!.wall.toFixed(3)} s, system CPU ${off!.sys.toFixed(3)} s`);
console.log(`counted / not: wall ${(on!.wall / off!.wall).toFixed(3)}x; ${(((on!.sys - off!.sys) / (2 * DATAGRAMS)) * 1e9).toFixed(0)} ns of system CPU per packet counted`);
