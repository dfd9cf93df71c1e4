// The steady rate of a meter's samples (bench/lib/swarm/meter.ts): pure, on made-up samples.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { steadyRateOf, type Sample } from '../../../../bench/lib/swarm/meter.js';

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
