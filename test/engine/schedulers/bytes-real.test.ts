// The byte-rate schedulers on real processes under the real native helper: a loopback
// TCP transfer capped at a rate stays within ±3 % of it (upload: the app sends; download:
// the app receives), and a cap change mid-run takes effect. Rates are measured on the
// other end of the connection (this test process), not from the scheduler's accounting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { realClock } from '../../../electron/engine/clock.js';
import { ByteScheduler } from '../../../electron/engine/schedulers/bytes.js';
import { HelperLauncher, requireHelper } from '../../../bench/lib/helper-apps.js';

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
