// The slider constraints: a share can never pass what the cap leaves, a cap never
// drops below the shares already promised.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppShares, OwnerLimits } from '../../electron/common/model.js';
import { checkShare, clampCap, clampShare, MACHINE_MAX, maxShare, minCap, strictestCap, sumShares, type ShareEntry } from '../../renderer/src/lib/constraints.js';

const shares = (s: Partial<AppShares>): AppShares => ({ cpu: 0, netUp: 0, netDown: 0, disk: 0, mem: 0, ...s });
const apps: ShareEntry[] = [
  { id: 'a', shares: shares({ cpu: 0.1, netUp: 300e3, mem: 1e9 }) },
  { id: 'b', shares: shares({ cpu: 0.2, netUp: 200e3, mem: 0 }) },
  { id: 'c', shares: shares({ cpu: 0.05 }) },
];

test('max share = cap − Σ other apps\' shares', () => {
  assert.ok(Math.abs(maxShare('cpu', 0.5, apps, 'a') - 0.25) < 1e-12);
  assert.ok(Math.abs(maxShare('cpu', 0.5, apps, 'b') - 0.35) < 1e-12);
  assert.equal(maxShare('netUp', 1e6, apps, 'a'), 800e3);
  assert.equal(maxShare('netUp', 1e6, apps, 'new'), 500e3); // a new app: every app is "other"
  assert.equal(maxShare('mem', 4e9, apps, 'b'), 3e9);
});

test('max share is never negative, and 0 when float noise is all that is left', () => {
  assert.equal(maxShare('cpu', 0.3, apps, 'c'), 0); // others already take 0.3
  assert.equal(maxShare('cpu', 0.1, apps, 'c'), 0); // others take more than the cap
  const noisy: ShareEntry[] = [{ id: 'x', shares: shares({ cpu: 0.1 }) }, { id: 'y', shares: shares({ cpu: 0.2 }) }];
  assert.equal(maxShare('cpu', 0.1 + 0.2, noisy, 'z'), 0); // 0.30000000000000004 − 0.3
});

test('with no cap the machine bounds the share; the CPU never passes 1', () => {
  assert.ok(Math.abs(maxShare('cpu', null, apps, 'a') - (1 - 0.25)) < 1e-12);
  assert.equal(maxShare('netDown', null, apps, 'a'), MACHINE_MAX.netDown);
  assert.ok(maxShare('cpu', 1, [], 'a') <= 1);
  assert.equal(maxShare('mem', null, [], 'a'), MACHINE_MAX.mem);
});

test('clampShare keeps a wanted share inside [0, max]', () => {
  assert.ok(Math.abs(clampShare('cpu', 0.9, 0.5, apps, 'a') - 0.25) < 1e-12);
  assert.equal(clampShare('cpu', 0.1, 0.5, apps, 'a'), 0.1);
  assert.equal(clampShare('cpu', -1, 0.5, apps, 'a'), 0);
  assert.equal(clampShare('netUp', Number.NaN, 1e6, apps, 'a'), 0);
});

test('checkShare explains a refusal and accepts exactly the maximum', () => {
  assert.equal(checkShare('netUp', 800e3, 1e6, apps, 'a'), null);
  assert.match(checkShare('netUp', 800e3 + 10, 1e6, apps, 'a') ?? '', /cap leaves/);
  assert.match(checkShare('cpu', 2, null, apps, 'a') ?? '', /machine/);
});

test('a cap cannot go below the shares promised; "no cap" is always allowed', () => {
  assert.ok(Math.abs(minCap('cpu', apps) - 0.35) < 1e-12);
  assert.equal(sumShares('netUp', apps), 500e3);
  assert.equal(sumShares('netUp', apps, 'a'), 200e3);
  assert.ok(Math.abs((clampCap('cpu', 0.1, apps) ?? 0) - 0.35) < 1e-12);
  assert.equal(clampCap('cpu', 3, apps), 1);
  assert.equal(clampCap('cpu', 0.6, apps), 0.6);
  assert.equal(clampCap('mem', null, apps), null);
});

test('shares are bounded by the strictest cap of all profiles (any may become active)', () => {
  const l = (cpu: number | null): OwnerLimits => ({ cpu, netUp: null, netDown: null, disk: null, mem: null });
  assert.equal(strictestCap('cpu', { inUse: l(0.3), idle: l(0.9), battery: l(0.1) }), 0.1);
  assert.equal(strictestCap('cpu', { inUse: l(null), idle: l(0.9), battery: l(null) }), 0.9);
  assert.equal(strictestCap('cpu', { inUse: l(null), idle: l(null), battery: l(null) }), null);
  assert.equal(strictestCap('netUp', { inUse: l(0.3) }), null);
});
