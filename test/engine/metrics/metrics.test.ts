// Prometheus metrics, pure: the text exposition format 0.0.4 (HELP and TYPE, escaping, values),
// the families built from the contract's state and snapshots, and usage counters that keep
// counting across an app's restarts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AppView, FullState, Snapshot } from '../../../electron/common/model.js';
import { UNCAPPED } from '../../../electron/common/model.js';
import { emptyFigures } from '../../../electron/engine/snapshots/usage.js';
import { escapeLabelValue, renderExposition } from '../../../electron/engine/metrics/exposition.js';
import { UsageCounters, metricFamilies } from '../../../electron/engine/metrics/metrics.js';
import { offScheduleState } from '../../../electron/common/schedule.js';

test('exposition: HELP and TYPE once per family, labels escaped, special values, empty families left out', () => {
  const text = renderExposition([
    { name: 'x_total', type: 'counter', help: 'a \\ back\nslash', samples: [{ labels: { app: 'a"b\\c\nd' }, value: 3 }, { value: 0.5 }] },
    { name: 'y', type: 'gauge', help: 'y', samples: [{ value: NaN }, { labels: { k: 'v' }, value: Infinity }, { value: -Infinity }] },
    { name: 'empty', type: 'gauge', help: 'nothing', samples: [] },
  ]);
  assert.equal(
    text,
    [
      '# HELP x_total a \\\\ back\\nslash',
      '# TYPE x_total counter',
      'x_total{app="a\\"b\\\\c\\nd"} 3',
      'x_total 0.5',
      '# HELP y y',
      '# TYPE y gauge',
      'y NaN',
      'y{k="v"} +Inf',
      'y -Inf',
      '',
    ].join('\n'),
  );
  assert.equal(escapeLabelValue('plain'), 'plain');
  assert.throws(() => renderExposition([{ name: 'bad-name', type: 'gauge', help: '', samples: [] }]), /invalid metric name/);
  assert.throws(() => renderExposition([{ name: 'c', type: 'counter', help: '', samples: [] }]), /_total/);
  assert.throws(() => renderExposition([{ name: 'g', type: 'gauge', help: '', samples: [{ labels: { 'a-b': 'x' }, value: 1 }] }]), /label name/);
  const twice = { name: 'g', type: 'gauge' as const, help: '', samples: [] };
  assert.throws(() => renderExposition([twice, twice]), /twice/);
});

const app = (id: string, name: string, state: AppView['state']): AppView => ({
  definition: { id, name, command: 'x', args: [], env: {}, autostart: false, shares: { cpu: 0.25, netUp: 1e6, netDown: 0, disk: 0, mem: 5e8 }, ceilings: { cpu: null, netUp: null, netDown: null, disk: null, mem: null } },
  state,
  pid: null,
  exitCode: null,
  exitSignal: null,
  startedAt: null,
  pausedByOwner: false,
});

function fixture(): FullState {
  return {
    version: '0.1.0',
    platform: { os: 'linux', cores: 2, enforcement: true, reason: null, cpu: { mechanism: 'ptrace', detail: 'stops', unavailable: null } },
    profile: 'inUse',
    profileChoice: 'auto',
    power: null,
    profiles: { inUse: { ...UNCAPPED, cpu: 0.5, netUp: 2e6 }, idle: { ...UNCAPPED }, battery: { ...UNCAPPED } },
    limits: { ...UNCAPPED, cpu: 0.5, netUp: 2e6 },
    apps: [app('seed', 'Seed "box"', 'running'), app('idle', 'Idle', 'stopped')],
    pause: null,
    settings: {} as FullState['settings'],
    capacity: {
      netUp: { bytesPerSec: 1.25e8, source: 'measured', measuredAt: 1, method: 'link speed' },
      netDown: { bytesPerSec: null, source: 'unknown', measuredAt: null, method: null },
      disk: { bytesPerSec: null, source: 'unknown', measuredAt: null, method: null },
    },
    startAtLogin: null,
    schedule: offScheduleState('UTC'),
    history: { file: null, ok: false, problem: null, keptAside: null },
  };
}

function snapshotOf(used: { cpu: number; netUp: number }, denials = 0): Snapshot {
  const shares = { cpu: 0.25, netUp: 1e6, netDown: 0, disk: 0, mem: 5e8 };
  const caps = { ...UNCAPPED, cpu: 0.5, netUp: 2e6, mem: 7e8 };
  const seed = emptyFigures(shares, caps);
  seed.cpu.used = used.cpu;
  seed.cpu.recent = 0.2;
  seed.netUp.used = used.netUp;
  seed.netUp.recent = 9e5;
  seed.netUp.held = 4096;
  seed.netUp.denials = denials;
  seed.mem.recent = 1e8;
  return {
    t: 0,
    profile: 'inUse',
    limits: caps,
    capacity: { netUp: 1.25e8, netDown: null, disk: null },
    total: seed,
    apps: [
      { id: 'seed', state: 'running', resources: seed },
      { id: 'idle', state: 'stopped', resources: emptyFigures(shares, caps) },
    ],
  };
}

test('usage counters carry on across a restart of the app', () => {
  const c = new UsageCounters();
  c.observe(snapshotOf({ cpu: 1, netUp: 100 }));
  c.observe(snapshotOf({ cpu: 2.5, netUp: 300 }));
  assert.deepEqual(c.totals('seed'), { cpu: 2.5, netUp: 300, netDown: 0, disk: 0 });
  c.observe(snapshotOf({ cpu: 0, netUp: 0 })); // stopped
  c.observe(snapshotOf({ cpu: 0.5, netUp: 50 })); // started again
  assert.deepEqual(c.totals('seed'), { cpu: 3, netUp: 350, netDown: 0, disk: 0 });
  assert.equal(c.totals('nobody'), undefined);
});

test('families: per app and resource, the owner\'s caps, health and the enforcement mechanism as a label', () => {
  const counters = new UsageCounters();
  const snapshot = snapshotOf({ cpu: 4, netUp: 5000 }, 7);
  counters.observe(snapshot);
  const text = renderExposition(metricFamilies({ state: fixture(), snapshot, counters, uptimeSeconds: 12.5 }));
  const has = (line: string) => assert.ok(text.split('\n').includes(line), `missing: ${line}\n${text}`);
  has('interceptor_up 1');
  has('interceptor_uptime_seconds 12.5');
  has('interceptor_helpers_connected 1');
  has('interceptor_enforcement_info{available="true",mechanism="ptrace",version="0.1.0"} 1');
  has('interceptor_profile_info{profile="inUse",choice="auto"} 1');
  has('interceptor_cap_cpu_ratio 0.5');
  has('interceptor_cap_transfer_bytes_per_second{resource="net_up"} 2000000');
  has('interceptor_capacity_bytes_per_second{resource="net_up"} 125000000');
  has('interceptor_app_info{app="seed",name="Seed \\"box\\"",state="running"} 1');
  has('interceptor_app_cpu_seconds_total{app="seed"} 4');
  has('interceptor_app_transfer_bytes_total{app="seed",resource="net_up"} 5000');
  has('interceptor_app_cpu_usage_ratio{app="seed"} 0.2');
  has('interceptor_app_transfer_rate_bytes_per_second{app="seed",resource="net_up"} 900000');
  has('interceptor_app_memory_bytes{app="seed"} 100000000');
  has('interceptor_app_cpu_nominal_share_ratio{app="seed"} 0.25');
  has('interceptor_app_transfer_nominal_share_bytes_per_second{app="seed",resource="net_up"} 1000000');
  has('interceptor_app_memory_nominal_share_bytes{app="seed"} 500000000');
  has('interceptor_app_memory_cap_bytes{app="seed"} 700000000');
  has('interceptor_app_transfer_held_bytes{app="seed",resource="net_up"} 4096');
  has('interceptor_app_denials_total{app="seed",resource="net_up"} 7');
  has('interceptor_app_denials_total{app="seed",resource="memory"} 0');
  has('# TYPE interceptor_app_cpu_seconds_total counter');
  assert.doesNotMatch(text, /interceptor_cap_memory_bytes/, 'no memory cap: no sample');
  assert.equal(text.match(/^# TYPE /gm)!.length, text.match(/^# HELP /gm)!.length);
});
