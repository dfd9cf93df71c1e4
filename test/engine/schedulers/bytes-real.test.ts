// The byte-rate schedulers on real processes under the real native helper: a loopback
// TCP transfer capped at a rate stays within ±3 % of it (upload: the app sends; download:
// the app receives), and a cap change mid-run takes effect; a disk cap holds a sequential
// reader whose reads the page cache serves after its own readahead. Rates are measured on the
// other end of the connection (this test process), not from the scheduler's accounting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { realClock } from '../../../electron/engine/clock.js';
import { ByteScheduler } from '../../../electron/engine/schedulers/bytes.js';
import { HelperLauncher, requireHelper } from '../../../bench/lib/helper-apps.js';
import { dropCache, tmpDir } from '../../native/harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The P2P app: a Node program that sends (or receives) as fast as TCP allows.
const SENDER = `const s=require('net').connect(+process.argv[1],'127.0.0.1',()=>{const b=Buffer.alloc(16384,7);const w=()=>{while(s.write(b));};s.on('drain',w);w();});s.on('error',()=>process.exit(0));`;
// The receiver reports what it has read (its own count, on stdout: a pipe, not charged).
const RECEIVER = `let n=0;const s=require('net').connect(+process.argv[1],'127.0.0.1');s.on('data',(d)=>{n+=d.length});setInterval(()=>process.stdout.write(performance.now()+' '+n+'\\n'),50);s.on('error',()=>process.exit(0));s.on('close',()=>process.exit(0));`;

interface Meter {
  /** [time ms, bytes] now. */
  read: () => Promise<[number, number]>;
  close: () => Promise<void>;
  port: number;
}

/** A loopback server that counts what it receives (upload) or sends as fast as it can (download). */
async function endpoint(kind: 'sink' | 'source'): Promise<Meter> {
  let bytes = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    if (kind === 'sink') {
      s.on('data', (d) => (bytes += d.length));
    } else {
      const b = Buffer.alloc(65536, 3);
      // Every write is counted (a write that returns false is queued too); the queue
      // stays bounded because we only write again on 'drain'.
      const w = () => {
        while (!s.destroyed) {
          bytes += b.length;
          if (!s.write(b)) break;
        }
      };
      s.on('drain', w);
      w();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    read: async () => [performance.now(), bytes],
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Upload: bytes received by our sink. Download: the app's own count of bytes read (what
 * our source wrote also includes the socket buffers, whose size TCP autotuning changes). */
function appMeter(app: { stdout: () => string }): Meter['read'] {
  return async () => {
    const lines = app.stdout().trim().split('\n');
    const [t, n] = lines[lines.length - 1]!.split(' ').map(Number);
    return [t!, n!];
  };
}

async function rate(read: Meter['read'], ms: number): Promise<number> {
  const [t0, b0] = await read();
  await sleep(ms);
  const [t1, b1] = await read();
  return ((b1 - b0) * 1000) / (t1 - t0);
}

for (const direction of ['netUp', 'netDown'] as const) {
  test(`real processes: ${direction} loopback TCP capped at 2 MB/s within ±3 %, then 4 MB/s mid-run, then uncapped`, { timeout: 40_000 }, async () => {
    requireHelper();
    const launcher = await HelperLauncher.create();
    const meter = await endpoint(direction === 'netUp' ? 'sink' : 'source');
    const sched = new ByteScheduler(direction, { clock: realClock });
    try {
      sched.setCap(2e6);
      const app = await launcher.launch(process.execPath, ['-e', direction === 'netUp' ? SENDER : RECEIVER, String(meter.port)]);
      sched.addApp('app', app.session, 1e6);
      await app.session.free(); // release the app's CPU (no CPU cap in this test)
      const read = direction === 'netUp' ? meter.read : appMeter(app);
      await sleep(1500); // connect + warm-up (socket buffers fill)
      const r1 = await rate(read, 6000);
      console.log(`${direction} at cap 2 MB/s: ${(r1 / 1e6).toFixed(4)} MB/s`);
      assert.ok(Math.abs(r1 / 2e6 - 1) <= 0.03, `rate ${r1} B/s vs cap 2e6`);

      sched.setCap(4e6);
      await sleep(1000); // socket buffers adjust
      const r2 = await rate(read, 3000);
      console.log(`${direction} at cap 4 MB/s: ${(r2 / 1e6).toFixed(4)} MB/s`);
      assert.ok(Math.abs(r2 / 4e6 - 1) <= 0.05, `rate after the cap change ${r2} B/s vs 4e6`);

      sched.setCap(null);
      await sleep(300);
      const r3 = await rate(read, 1000);
      console.log(`${direction} uncapped: ${(r3 / 1e6).toFixed(1)} MB/s`);
      assert.ok(r3 > 20e6, `uncapped transfer runs free: ${r3} B/s`);
    } finally {
      sched.dispose();
      await meter.close();
      await launcher.close();
    }
  });
}

// The slider's case with an app launched untrapped (as the engine launches every app): it runs
// free, its calls untrapped; the cap comes mid-transfer and the full filter goes into the running
// Node process (a dozen threads) at once; it holds, and lifting it lets the app run free again.
test('real processes: netUp uncapped and untrapped, then capped at 2 MB/s mid-run within ±3 %, then uncapped', { timeout: 40_000 }, async () => {
  requireHelper();
  const launcher = await HelperLauncher.create();
  const meter = await endpoint('sink');
  const sched = new ByteScheduler('netUp', { clock: realClock });
  try {
    const app = await launcher.launch(process.execPath, ['-e', SENDER, String(meter.port)], { untrapped: true });
    sched.addApp('app', app.session, 1e6);
    await app.session.free();
    await sleep(1000);
    const r0 = await rate(meter.read, 1000);
    console.log(`netUp untrapped: ${(r0 / 1e6).toFixed(1)} MB/s`);
    assert.ok(r0 > 20e6, `uncapped transfer runs free: ${r0} B/s`);
    const filters = () => Number(/Seccomp_filters:\s*(\d+)/.exec(readFileSync(`/proc/${app.session.hello.appPid}/status`, 'utf8'))![1]);
    assert.equal(filters(), 1);

    sched.setCap(2e6);
    await sleep(1500); // the socket buffers drain to the cap
    assert.equal(filters(), 2);
    const r1 = await rate(meter.read, 6000);
    console.log(`netUp capped mid-run at 2 MB/s: ${(r1 / 1e6).toFixed(4)} MB/s`);
    assert.ok(Math.abs(r1 / 2e6 - 1) <= 0.03, `rate ${r1} B/s vs cap 2e6`);

    sched.setCap(null);
    await sleep(300);
    const r2 = await rate(meter.read, 1000);
    assert.ok(r2 > 20e6, `uncapped again: ${r2} B/s`);
  } finally {
    sched.dispose();
    await meter.close();
    await launcher.close();
  }
});

// A sequential reader of a file whose first pages are cached: each of its reads may find its pages
// in the cache only because the read before started readahead from storage. Letting a read the
// cache serves through with the credit spent (cachestat, tried in stop 33 and again in stop 34)
// let cat read these 8 MiB from storage in 0.02 s under a 4 MB/s cap, the debt charged after.
test('real processes: a sequential read of a file partly in the page cache holds the disk cap (readahead is no free pass)', { timeout: 40_000 }, async () => {
  requireHelper();
  const { dir, remove } = tmpDir();
  const file = path.join(dir, 'data');
  const size = 8 * 1024 * 1024;
  writeFileSync(file, randomBytes(size));
  // out of the page cache, then its first pages back in by a small read (readahead marks them)
  execFileSync('/bin/sh', ['-c', dropCache(file)]);
  const fd = openSync(file, 'r');
  readSync(fd, Buffer.alloc(832), 0, 832, 0);
  closeSync(fd);
  const launcher = await HelperLauncher.create();
  const sched = new ByteScheduler('disk', { clock: realClock });
  try {
    sched.setCap(4e6);
    const app = await launcher.launch('/bin/sh', ['-c', 'exec cat "$0" > /dev/null', file]);
    sched.addApp('app', app.session, 1e6);
    const start = performance.now();
    await app.session.free();
    const code = await Promise.race([app.exited, sleep(20_000).then(() => 'stalled')]);
    const seconds = (performance.now() - start) / 1000;
    const read = app.session.lastUsage?.diskRead ?? 0;
    console.log(`cat of 8 MiB, its first pages cached, under a 4 MB/s disk cap: ${seconds.toFixed(2)} s, diskRead ${read}`);
    assert.equal(code, 0, `cat did not finish: ${code}`);
    // every byte read from storage paid for at the cap (the pages cached before it were not)
    assert.ok(read >= size - 512 * 1024, `diskRead ${read}`);
    assert.ok(seconds >= (read - 4e6 * 0.02) / 4e6 * 0.95, `${seconds} s for ${read} B at 4 MB/s`);
  } finally {
    sched.dispose();
    await launcher.close();
    remove();
  }
});
