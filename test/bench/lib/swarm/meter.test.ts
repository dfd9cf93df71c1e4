// The steady rate of a meter's samples (bench/lib/swarm/meter.ts): pure, on made-up samples; and
// the disk meter on a real process that writes a file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DiskMeter, steadyRateOf, type Sample } from '../../../../bench/lib/swarm/meter.js';
import { processTree } from '../../../../bench/lib/swarm/processes.js';

/** Samples every 100 ms of a transfer at `rate` bytes/s; `bump(i)` adds to the i-th sample's count. */
function transfer(rate: number, seconds: number, bump: (i: number) => number = () => 0): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i <= seconds * 10; i++) {
    const t = i * 100;
    const bytes = Math.max(0, (rate * t) / 1000 + bump(i));
    out.push({ t, bytes, progress: bytes, overheadTicks: i, othersTicks: 2 * i });
  }
  return out;
}

test('a transfer at an even rate: its rate, window and CPU figures', () => {
  const r = steadyRateOf(transfer(2e6, 6), 12e6)!;
  assert.ok(Math.abs(r.bytesPerSecond / 2e6 - 1) < 1e-9, String(r.bytesPerSecond));
  assert.ok(Math.abs(r.fromMs - 1500) < 1e-6 && Math.abs(r.toMs - 4500) < 1e-6, `${r.fromMs} ${r.toMs}`);
  assert.ok(Math.abs(r.othersCores - 2 * 10 / 100) < 1e-9, String(r.othersCores)); // CLK_TCK 100: 20 ticks/s
});

test('a burst at one end of the window moves the fitted rate far less than the rate between the ends', () => {
  // the sample just past the 75 % crossing counts 500 kB early (a client's burst, or `ss` late)
  const samples = transfer(2e6, 6, (i) => (i === 45 ? 500e3 : 0));
  const r = steadyRateOf(samples, 12e6)!;
  const ends = (0.5 * 12e6) / ((r.toMs - r.fromMs) / 1000);
  assert.ok(Math.abs(ends / 2e6 - 1) > 0.02, `the ends alone are off by ${((ends / 2e6 - 1) * 100).toFixed(2)} %`);
  assert.ok(Math.abs(r.bytesPerSecond / 2e6 - 1) < 0.01, `fitted ${((r.bytesPerSecond / 2e6 - 1) * 100).toFixed(2)} %`);
});

test('too few samples inside the window: the rate between its ends', () => {
  const samples: Sample[] = [0, 1000, 2000].map((t) => ({ t, bytes: t * 1000, progress: t * 1000, overheadTicks: 0, othersTicks: 0 }));
  const r = steadyRateOf(samples, 2e6)!;
  assert.equal(Math.round(r.bytesPerSecond), 1e6);
});

test("disk traffic: the window is the middle of what was written, so a start that read the client's program is outside it", () => {
  // (qBittorrent from a cold cache: 46 MB of its libraries read at its exec, then waited out at
  // the cap before its first write, then 12 MB written at the cap, with small reads between)
  const samples: Sample[] = [];
  for (let i = 0; i <= 300; i++) {
    const t = i * 100;
    const startRead = i === 0 ? 0 : 46e6;
    const written = Math.max(0, (t - 23_000) * 2e3 * 0.9);
    const read = startRead + Math.max(0, (t - 23_000) * 2e3 * 0.1);
    samples.push({ t, bytes: read + written, progress: written, overheadTicks: 0, othersTicks: 0 });
  }
  const byTotal = steadyRateOf(samples.map((s) => ({ ...s, progress: s.bytes })), 61e6)!;
  assert.ok(byTotal === null || Math.abs(byTotal.bytesPerSecond / 2e6 - 1) > 0.5, 'by total bytes, the start falls in the window');
  const r = steadyRateOf(samples, 12e6)!;
  assert.ok(Math.abs(r.bytesPerSecond / 2e6 - 1) < 1e-6, `reads and writes together at the cap: ${r.bytesPerSecond}`);
  assert.ok(r.fromMs > 23_000, String(r.fromMs));
});

test('bursts let go by a cap (debt: each passes when credit is back): the corners of the staircase give the cap, the whole staircase does not', () => {
  const rate = 2e6;
  const sizes = [1.05e6, 0.52e6, 2.1e6, 0.26e6, 0.79e6, 1.31e6, 0.26e6];
  const releases: { t: number; after: number }[] = [];
  for (let t = 1003, total = 0, k = 0; total < 14e6; k++) {
    total += sizes[k % sizes.length]!;
    releases.push({ t, after: total });
    t += (sizes[k % sizes.length]! / rate) * 1000;
  }
  const samples: Sample[] = [];
  for (let t = 0; t <= 9000; t += 10) {
    const bytes = releases.filter((r) => r.t <= t).at(-1)?.after ?? 0;
    samples.push({ t, bytes, progress: bytes, overheadTicks: 0, othersTicks: 0 });
  }
  const whole = steadyRateOf(samples, 12e6)!;
  const corners = steadyRateOf(samples, 12e6, 0.25, 0.75, 'corners')!;
  assert.ok(Math.abs(whole.bytesPerSecond / rate - 1) > 0.02, `whole: ${((whole.bytesPerSecond / rate - 1) * 100).toFixed(2)} %`);
  assert.ok(Math.abs(corners.bytesPerSecond / rate - 1) < 0.005, `corners: ${((corners.bytesPerSecond / rate - 1) * 100).toFixed(2)} %`);
  // a burst spread over two samples: the one in its middle is no corner
  const spread = samples.map((s, i) => (i > 0 && s.bytes > samples[i - 1]!.bytes ? { ...s, bytes: s.bytes - 100e3, progress: s.progress - 100e3 } : s));
  const spreadCorners = steadyRateOf(spread, 12e6, 0.25, 0.75, 'corners')!;
  assert.ok(Math.abs(spreadCorners.bytesPerSecond / rate - 1) < 0.005, `spread: ${((spreadCorners.bytesPerSecond / rate - 1) * 100).toFixed(2)} %`);
  // an even stream has no corners: the whole
  const even = transfer(2e6, 6);
  assert.ok(Math.abs(steadyRateOf(even, 12e6, 0.25, 0.75, 'corners')!.bytesPerSecond / 2e6 - 1) < 1e-9);
});

test('a window the samples never cross: no rate', () => {
  assert.equal(steadyRateOf(transfer(2e6, 1), 12e6), null);
  assert.equal(steadyRateOf([], 12e6), null);
});

/** read_bytes + write_bytes of a process (0 if it is gone). */
function ioBytes(pid: number): number {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'latin1');
    return Number(/^read_bytes: (\d+)$/m.exec(io)?.[1] ?? 0) + Number(/^write_bytes: (\d+)$/m.exec(io)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

test('the disk meter counts what a process tree dirtied, and keeps the count of a process that has exited', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'disk-meter-'));
  // a shell whose child writes 16 × 64 KiB over ~0.8 s and exits; the shell lives on
  const writer = [
    'import os, time, sys',
    'fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)',
    'for i in range(16): os.write(fd, b"w" * 65536); time.sleep(0.05)',
    'os.close(fd)',
  ].join('\n');
  const sh = spawn('/bin/sh', ['-c', 'python3 -c "$1" "$2"; sleep 2', 'sh', writer, path.join(dir, 'out')], { stdio: 'ignore' });
  const meter = new DiskMeter({ pid: sh.pid!, netns: null, swarmRoots: () => [sh.pid!] });
  try {
    // progress is what was written: python's start may read megabytes first from a cold cache
    await meter.waitForProgress(16 * 65536, 5000);
    await new Promise((r) => setTimeout(r, 500)); // the writer has exited meanwhile, and the shell reaped it
    // what the kernel counts to the tree now (the shell's counts hold its reaped child's): the
    // meter's, once and no more (python's start may read megabytes from storage on a cold machine)
    const kernel = processTree(sh.pid!).reduce((sum, pid) => sum + ioBytes(pid), 0);
    assert.ok(kernel >= 16 * 65536, `the kernel counted ${kernel} B for 1 MiB written`);
    assert.equal(meter.bytes, kernel);
    // when the writes were done (the uncapped bench's data time), and a level never reached
    const written = meter.reachedAt(16 * 65536);
    assert.ok(written !== null && written > meter.samples[0]!.t && written <= performance.now(), `reached at ${written}`);
    assert.equal(meter.reachedAt(1e12), null);
    const rate = meter.steadyRate(16 * 65536)!;
    assert.ok(rate && rate.bytesPerSecond > 0, 'a rate over the writes');
  } finally {
    await meter.stop();
    sh.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
