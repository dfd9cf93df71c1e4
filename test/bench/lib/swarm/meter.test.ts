// The steady rate of a meter's samples (bench/lib/swarm/meter.ts): pure, on made-up samples; and
// the disk meter on a real process that writes a file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DiskMeter, steadyRateOf, type Sample } from '../../../../bench/lib/swarm/meter.js';

/** Samples every 100 ms of a transfer at `rate` bytes/s; `bump(i)` adds to the i-th sample's count. */
function transfer(rate: number, seconds: number, bump: (i: number) => number = () => 0): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i <= seconds * 10; i++) {
    const t = i * 100;
    out.push({ t, bytes: Math.max(0, (rate * t) / 1000 + bump(i)), overheadTicks: i, othersTicks: 2 * i });
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
  const samples: Sample[] = [0, 1000, 2000].map((t) => ({ t, bytes: t * 1000, overheadTicks: 0, othersTicks: 0 }));
  const r = steadyRateOf(samples, 2e6)!;
  assert.equal(Math.round(r.bytesPerSecond), 1e6);
});

test('a window the samples never cross: no rate', () => {
  assert.equal(steadyRateOf(transfer(2e6, 1), 12e6), null);
  assert.equal(steadyRateOf([], 12e6), null);
});

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
    await meter.waitFor(16 * 65536, 5000);
    await new Promise((r) => setTimeout(r, 500)); // the writer has exited meanwhile
    assert.ok(meter.bytes >= 16 * 65536 && meter.bytes < 16 * 65536 + 256 * 1024, `${meter.bytes} B counted for 1 MiB written`);
    const rate = meter.steadyRate(16 * 65536)!;
    assert.ok(rate && rate.bytesPerSecond > 0, 'a rate over the writes');
  } finally {
    await meter.stop();
    sh.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
