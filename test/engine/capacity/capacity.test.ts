// Link and disk capacity (electron/engine/capacity/) and its use by the engine:
// the default-route interface and its link speed from fixture procfs/sysfs trees
// (wired, wireless with speed -1, no default route, loopback), the peak observed
// from /proc/net/dev, a real disk measurement in a temp dir (no file left behind,
// timeout), a cap above a known capacity refused, capacities kept across a restart.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  DISK_PROBE_PREFIX,
  DiskMeasureError,
  NetPeakSampler,
  REAL_ROOTS,
  defaultRouteInterface,
  detectLinkCapacity,
  linkSpeedMbps,
  measureDisk,
  readNetDev,
  type SystemRoots,
} from '../../../electron/engine/capacity/measure.js';
import { CommandError } from '../../../electron/common/contract.js';
import { createEngine } from '../../../electron/engine/index.js';
import { sleep, tempDir, testEngine, until } from '../helpers.js';

const ROUTE_HEADER = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT';
/** A /proc/net/route line; dest/mask 00000000 = the default route. */
const route = (iface: string, dest = '00000000', metric = 0, flags = '0003', mask = '00000000') =>
  `${iface}\t${dest}\t010200C0\t${flags}\t0\t0\t${metric}\t${mask}\t0\t0\t0`;
const devLine = (iface: string, rx: number, tx: number) => `${iface.padStart(6)}: ${rx} 10 0 0 0 0 0 0 ${tx} 10 0 0 0 0 0 0`;

interface Fixture {
  routes?: string[];
  speeds?: Record<string, string>;
  dev?: Record<string, [number, number]>;
}

/** A fake /proc and /sys in a temp dir; `write` replaces parts of it. */
function fixture(t: { after: (fn: () => void) => void }, f: Fixture): { roots: SystemRoots; write: (f: Fixture) => void; dir: string } {
  const { dir, cleanup } = tempDir('interceptor-capacity-');
  t.after(cleanup);
  const roots = { proc: path.join(dir, 'proc'), sys: path.join(dir, 'sys') };
  mkdirSync(path.join(roots.proc, 'net'), { recursive: true });
  const write = (g: Fixture) => {
    if (g.routes) writeFileSync(path.join(roots.proc, 'net/route'), [ROUTE_HEADER, ...g.routes, ''].join('\n'));
    for (const [iface, speed] of Object.entries(g.speeds ?? {})) {
      mkdirSync(path.join(roots.sys, 'class/net', iface), { recursive: true });
      writeFileSync(path.join(roots.sys, 'class/net', iface, 'speed'), speed);
    }
    if (g.dev) {
      const lines = Object.entries(g.dev).map(([i, [rx, tx]]) => devLine(i, rx, tx));
      writeFileSync(path.join(roots.proc, 'net/dev'), ['Inter-|   Receive  |  Transmit', ' face |bytes packets|bytes packets', ...lines, ''].join('\n'));
    }
  };
  write({ dev: { lo: [0, 0] }, ...f });
  return { roots, write, dir };
}

const WIRED: Fixture = { routes: [route('eth0'), route('eth0', '000200C0', 0, '0001', '00FFFFFF')], speeds: { eth0: '1000\n' }, dev: { lo: [5, 5], eth0: [0, 0] } };
const WIRELESS: Fixture = { routes: [route('wlan0', '00000000', 600)], speeds: { wlan0: '-1\n' }, dev: { lo: [0, 0], wlan0: [1000, 2000] } };

test('link speed of the default-route interface, for both directions', (t) => {
  const { roots } = fixture(t, WIRED);
  assert.equal(defaultRouteInterface(roots), 'eth0');
  assert.equal(linkSpeedMbps('eth0', roots), 1000);
  const link = detectLinkCapacity(roots, 1234);
  assert.ok(link.ok);
  assert.deepEqual(link.capacity, { bytesPerSec: 125e6, source: 'measured', measuredAt: 1234, method: 'eth0 link speed 1000 Mb/s' });
});

test('wireless (speed -1), no default route, loopback and down routes: no link speed, with a reason', (t) => {
  const wifi = fixture(t, WIRELESS);
  assert.equal(defaultRouteInterface(wifi.roots), 'wlan0');
  assert.equal(linkSpeedMbps('wlan0', wifi.roots), null);
  let link = detectLinkCapacity(wifi.roots);
  assert.ok(!link.ok);
  assert.equal(link.iface, 'wlan0');
  assert.match(link.reason, /wlan0 reports no link speed/);

  // only a local route, a default route on loopback, and one that is not up (flags 0)
  const none = fixture(t, { routes: [route('eth0', '000200C0', 0, '0001', '00FFFFFF'), route('lo'), route('eth1', '00000000', 0, '0000')], speeds: { eth0: '1000' } });
  assert.equal(defaultRouteInterface(none.roots), null);
  link = detectLinkCapacity(none.roots);
  assert.ok(!link.ok);
  assert.equal(link.iface, null);
  assert.match(link.reason, /no default route/);

  // the lowest metric wins; an unreadable speed file (virtual device) is no speed
  const two = fixture(t, { routes: [route('wlan0', '00000000', 600), route('eth0', '00000000', 100)], speeds: { wlan0: '-1' } });
  assert.equal(defaultRouteInterface(two.roots), 'eth0');
  assert.equal(linkSpeedMbps('eth0', two.roots), null);
  // missing files and hostile names
  const empty = fixture(t, {});
  assert.equal(defaultRouteInterface(empty.roots), null);
  assert.equal(linkSpeedMbps('../../etc', empty.roots), null);
});

test('/proc/net/dev: rx and tx bytes of one interface', (t) => {
  const { roots } = fixture(t, { dev: { lo: [7, 8], eth0: [123456789012, 987654321] } });
  assert.deepEqual(readNetDev('eth0', roots), { rx: 123456789012, tx: 987654321 });
  assert.deepEqual(readNetDev('lo', roots), { rx: 7, tx: 8 });
  assert.equal(readNetDev('wlan0', roots), null);
});

test('the peak 1-second rate observed: a rising lower bound; late ticks, resets and a new interface', (t) => {
  const fx = fixture(t, WIRELESS);
  const seen: Array<{ iface: string; rx: number; tx: number }> = [];
  const sampler = new NetPeakSampler(fx.roots, (iface, p) => seen.push({ iface, ...p }));
  sampler.sample(0);
  fx.write({ dev: { wlan0: [1000 + 2e6, 2000 + 1e6] } });
  sampler.sample(1000);
  assert.deepEqual(sampler.peak, { rx: 2e6, tx: 1e6 });
  fx.write({ dev: { wlan0: [1000 + 3e6, 2000 + 1.5e6] } });
  sampler.sample(2000); // 1 MB/s: lower, the peak stays
  assert.deepEqual(sampler.peak, { rx: 2e6, tx: 1e6 });
  fx.write({ dev: { wlan0: [1000 + 13e6, 2000 + 1.5e6] } });
  sampler.sample(7000); // 5 s late: not a 1-second rate
  assert.deepEqual(sampler.peak, { rx: 2e6, tx: 1e6 });
  fx.write({ dev: { wlan0: [500, 500] } });
  sampler.sample(8000); // counters reset
  assert.deepEqual(sampler.peak, { rx: 2e6, tx: 1e6 });
  fx.write({ dev: { wlan0: [500 + 8e6, 500] } });
  sampler.sample(9000);
  assert.deepEqual(sampler.peak, { rx: 8e6, tx: 1e6 });
  assert.equal(seen.length, 2);
  assert.deepEqual(seen[1], { iface: 'wlan0', rx: 8e6, tx: 1e6 });
  // the default route moves to another interface: its peaks start over; loopback never counts
  fx.write({ routes: [route('lo'), route('eth1')], dev: { lo: [1e12, 1e12], eth1: [0, 0] } });
  sampler.sample(10_000);
  assert.equal(sampler.iface, 'eth1');
  assert.deepEqual(sampler.peak, { rx: 0, tx: 0 });
  fx.write({ routes: [route('lo')], dev: { lo: [2e12, 2e12] } });
  sampler.sample(11_000);
  assert.equal(sampler.iface, null);
  assert.deepEqual(sampler.peak, { rx: 0, tx: 0 });
});

test('the real machine: link and peak have the right shape', async () => {
  const link = detectLinkCapacity(REAL_ROOTS);
  if (link.ok) {
    assert.ok(Number.isFinite(link.capacity.bytesPerSec) && link.capacity.bytesPerSec! > 0);
    assert.match(link.capacity.method!, /link speed \d+ Mb\/s$/);
  } else {
    assert.ok(link.reason.length > 0);
  }
  const sampler = new NetPeakSampler(REAL_ROOTS);
  sampler.sample(performance.now());
  await sleep(1000);
  sampler.sample(performance.now());
  for (const v of [sampler.peak.rx, sampler.peak.tx]) assert.ok(Number.isFinite(v) && v >= 0, String(v));
  assert.notEqual(sampler.iface, 'lo');
});

test('disk: a real write + read in a temp dir, the file removed, a stale probe too', async (t) => {
  const { dir, cleanup } = tempDir('interceptor-disk-');
  t.after(cleanup);
  writeFileSync(path.join(dir, `${DISK_PROBE_PREFIX}999999999-stale`), 'x'); // a crashed measurement of a gone process
  writeFileSync(path.join(dir, 'settings.json'), '{}');
  const m = await measureDisk(dir, { bytes: 4 * 1024 * 1024 });
  assert.ok(Number.isFinite(m.bytesPerSec) && m.bytesPerSec > 0, String(m.bytesPerSec));
  assert.ok(Number.isFinite(m.writeBytesPerSec) && m.writeBytesPerSec > 0);
  if (m.readBytesPerSec === null) assert.match(m.method, /^sequential write 4 MiB \+ fsync; read not measured \(O_DIRECT/);
  else assert.match(m.method, /^sequential write\+read 4 MiB, O_DIRECT/);
  t.diagnostic(`${Math.round(m.bytesPerSec / 1e6)} MB/s: ${m.method}`);
  assert.deepEqual(readdirSync(dir), ['settings.json']);
});

test('disk: a timeout ends the measurement with a clear error and no file left', async (t) => {
  const { dir, cleanup } = tempDir('interceptor-disk-');
  t.after(cleanup);
  await assert.rejects(measureDisk(dir, { bytes: 8 * 1024 * 1024, timeoutMs: 0 }), (e: unknown) => e instanceof DiskMeasureError && /did not finish within/.test(e.message));
  assert.deepEqual(readdirSync(dir), []);
  // a dir that cannot be created (a file in the way): an error, nothing written
  writeFileSync(path.join(dir, 'file'), 'x');
  await assert.rejects(measureDisk(path.join(dir, 'file', 'below'), { bytes: 4096 }), /ENOTDIR|EEXIST/);
  assert.deepEqual(readdirSync(dir), ['file']);
});

test('engine: link speed read at start, disk not measured unasked; caps above a known capacity refused', async (t) => {
  const fx = fixture(t, WIRED);
  const { engine, dir } = await testEngine(t, { systemRoots: fx.roots, sampleNetwork: false, diskProbeBytes: 4 * 1024 * 1024 });
  let s = await engine.invoke('getState', {});
  assert.deepEqual({ ...s.capacity.netUp, measuredAt: 0 }, { bytesPerSec: 125e6, source: 'measured', measuredAt: 0, method: 'eth0 link speed 1000 Mb/s' });
  assert.equal(s.capacity.netDown.bytesPerSec, 125e6);
  assert.deepEqual(s.capacity.disk, { bytesPerSec: null, source: 'unknown', measuredAt: null, method: null });
  assert.ok(!readdirSync(dir).some((n) => n.startsWith(DISK_PROBE_PREFIX)));

  await assert.rejects(engine.invoke('setOwnerLimits', { limits: { netUp: 200e6 } }), (e: unknown) => {
    assert.ok(e instanceof CommandError);
    assert.equal(e.code, 'capExceedsCapacity');
    assert.match(e.message, /netUp cap of 200 MB\/s is above the capacity of the link, 125 MB\/s \(measured: eth0 link speed 1000 Mb\/s\)/);
    return true;
  });
  await engine.invoke('setOwnerLimits', { profile: 'idle', limits: { netUp: 125e6, netDown: 50e6 } });

  // the owner's value replaces the measured one; forgetting it brings the link speed back
  let c = await engine.invoke('setCapacity', { resource: 'disk', bytesPerSec: 50e6 });
  assert.deepEqual(c.disk, { bytesPerSec: 50e6, source: 'owner', measuredAt: null, method: null });
  await assert.rejects(engine.invoke('setOwnerLimits', { limits: { disk: 60e6 } }), /disk cap of 60 MB\/s is above the capacity of the disk, 50 MB\/s \(as given by the owner\)/);
  await engine.invoke('setOwnerLimits', { limits: { disk: 40e6 } });
  c = await engine.invoke('setCapacity', { resource: 'netDown', bytesPerSec: 10e6 });
  assert.equal(c.netDown.source, 'owner');
  const log = await engine.invoke('getEventLog', { sinceSeq: 0 });
  assert.ok(log.some((e) => e.kind === 'warning' && /The "Idle" download cap of 50 MB\/s is above the link's capacity, 10 MB\/s: it cannot be reached/.test(e.message)), 'a cap the new capacity makes unreachable is reported');
  c = await engine.invoke('setCapacity', { resource: 'netDown', bytesPerSec: null });
  assert.equal(c.netDown.method, 'eth0 link speed 1000 Mb/s');
  c = await engine.invoke('setCapacity', { resource: 'disk', bytesPerSec: null });
  assert.equal(c.disk.source, 'unknown');

  // measured on request; the snapshot carries the capacity too
  c = await engine.invoke('measureCapacity', { resource: 'disk' });
  assert.equal(c.disk.source, 'measured');
  assert.ok(c.disk.bytesPerSec! > 0 && c.disk.measuredAt! > 0);
  assert.match(c.disk.method!, /^sequential write/);
  assert.ok(!readdirSync(dir).some((n) => n.startsWith(DISK_PROBE_PREFIX)), 'no probe file left in the config dir');
  await engine.invoke('setCapacity', { resource: 'disk', bytesPerSec: 1e6 });
  c = await engine.invoke('setCapacity', { resource: 'disk', bytesPerSec: null });
  assert.match(c.disk.method!, /^sequential write/, 'forgetting the owner value brings back the measurement');
  await until(async () => (await engine.invoke('getHistory', { seconds: 60 })).length > 0, 5000, 'a snapshot');
  const snaps = await engine.invoke('getHistory', { seconds: 60 });
  s = await engine.invoke('getState', {});
  assert.deepEqual(snaps[snaps.length - 1]!.capacity, { netUp: 125e6, netDown: 125e6, disk: s.capacity.disk.bytesPerSec });
});

test('engine: a wireless link gets the peak observed, a lower bound that refuses no cap and survives a restart', async (t) => {
  const fx = fixture(t, WIRELESS);
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  let engine = await createEngine({ configDir: dir, autostart: false, systemRoots: fx.roots });
  try {
    await assert.rejects(engine.invoke('measureCapacity', { resource: 'net' }), (e: unknown) => {
      assert.ok(e instanceof CommandError);
      assert.equal(e.code, 'unavailable');
      assert.match(e.message, /wlan0 reports no link speed .*no traffic has been observed on it yet; give it yourself/);
      return true;
    });
    await sleep(300);
    fx.write({ dev: { wlan0: [1000 + 4e6, 2000 + 1e6] } });
    await until(async () => (await engine.invoke('getState', {})).capacity.netDown.source === 'measured', 5000, 'the peak observed');
    const s = await engine.invoke('getState', {});
    assert.equal(s.capacity.netDown.method, 'peak observed on wlan0');
    assert.ok(s.capacity.netDown.bytesPerSec! > 1e6 && s.capacity.netDown.bytesPerSec! < 9e6, String(s.capacity.netDown.bytesPerSec));
    assert.equal(s.capacity.netUp.method, 'peak observed on wlan0');
    // a lower bound: a higher cap is allowed
    await engine.invoke('setOwnerLimits', { limits: { netDown: 50e6 } });
    const c = await engine.invoke('measureCapacity', { resource: 'net' });
    assert.equal(c.netDown.method, 'peak observed on wlan0');
  } finally {
    await engine.shutdown();
  }
  engine = await createEngine({ configDir: dir, autostart: false, systemRoots: fx.roots, sampleNetwork: false });
  try {
    const s = await engine.invoke('getState', {});
    assert.equal(s.capacity.netDown.method, 'peak observed on wlan0', 'kept across a restart');
  } finally {
    await engine.shutdown();
  }
  // the link now says its speed (same config dir): the link speed replaces the old peak
  fx.write({ speeds: { wlan0: '300' } });
  engine = await createEngine({ configDir: dir, autostart: false, systemRoots: fx.roots, sampleNetwork: false });
  try {
    const s = await engine.invoke('getState', {});
    assert.equal(s.capacity.netDown.method, 'wlan0 link speed 300 Mb/s');
    assert.equal(s.capacity.netDown.bytesPerSec, 37.5e6);
  } finally {
    await engine.shutdown();
  }
});
