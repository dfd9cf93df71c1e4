// The engine's figures as Prometheus metrics (docs/metrics.md names every one): per app and
// resource the usage received, the current rate, the nominal share, the cap, the held demand
// and the denials; the owner's caps in force; the engine's health and its enforcement. Built
// from the contract's state and snapshots only. UsageCounters and metricFamilies are pure;
// MetricsSource feeds them from an engine's events.
import type { EventName, EventPayloads } from '../../common/contract.js';
import { LIVE_APP_STATES, type FullState, type Snapshot } from '../../common/model.js';
import { BYTE_RATE_RESOURCES, RESOURCES, type ByteRateResource, type Resource } from '../../common/resources.js';
import type { MetricFamily, MetricType, Sample } from './exposition.js';

/** The `resource` label's values. */
export const RESOURCE_LABEL: Record<Resource, string> = { cpu: 'cpu', netUp: 'net_up', netDown: 'net_down', disk: 'disk', mem: 'memory' };

/** The resources whose usage is a counter: CPU seconds, bytes moved. */
const COUNTED = ['cpu', ...BYTE_RATE_RESOURCES] as const;
type Counted = (typeof COUNTED)[number];
type Totals = Record<Counted, number>;

/**
 * Each app's usage received as counters that only grow: a snapshot's `used` counts from the
 * app's start, so when it falls (the app ended or restarted) what was counted is carried on.
 */
export class UsageCounters {
  private readonly apps = new Map<string, { carried: Totals; last: Totals }>();

  observe(snapshot: Snapshot): void {
    for (const app of snapshot.apps) {
      let entry = this.apps.get(app.id);
      if (!entry) this.apps.set(app.id, (entry = { carried: { cpu: 0, netUp: 0, netDown: 0, disk: 0 }, last: { cpu: 0, netUp: 0, netDown: 0, disk: 0 } }));
      for (const r of COUNTED) {
        const used = app.resources[r].used;
        if (used < entry.last[r]) entry.carried[r] += entry.last[r];
        entry.last[r] = used;
      }
    }
    const present = new Set(snapshot.apps.map((a) => a.id));
    for (const id of this.apps.keys()) if (!present.has(id)) this.apps.delete(id);
  }

  /** CPU seconds and bytes received since first observed. */
  totals(appId: string): Totals | undefined {
    const entry = this.apps.get(appId);
    if (!entry) return undefined;
    const out = { ...entry.carried };
    for (const r of COUNTED) out[r] += entry.last[r];
    return out;
  }
}

export interface MetricsInput {
  state: FullState;
  /** The newest snapshot; null before the first. */
  snapshot: Snapshot | null;
  counters: UsageCounters;
  /** Seconds the engine's process has run. */
  uptimeSeconds: number;
}

/** A family builder: one metric, its samples added as they come. */
function family(name: string, type: MetricType, help: string): MetricFamily & { samples: Sample[] } {
  return { name, type, help, samples: [] };
}

export function metricFamilies({ state, snapshot, counters, uptimeSeconds }: MetricsInput): MetricFamily[] {
  const f = {
    up: family('interceptor_up', 'gauge', 'Whether the engine answers (always 1 in a scrape that succeeds).'),
    uptime: family('interceptor_uptime_seconds', 'gauge', 'Seconds since the engine process started.'),
    helpers: family('interceptor_helpers_connected', 'gauge', 'Apps whose helper is connected (their process tree is alive).'),
    enforcement: family('interceptor_enforcement_info', 'gauge', 'Always 1: whether caps are enforced here, the CPU mechanism in force (cgroup or ptrace) and the version.'),
    profile: family('interceptor_profile_info', 'gauge', 'Always 1: the profile in force and the owner\'s choice (auto or a pinned profile).'),
    paused: family('interceptor_paused', 'gauge', '1 while all apps are paused by the owner, else 0.'),
    capCpu: family('interceptor_cap_cpu_ratio', 'gauge', 'The owner\'s CPU cap in force, a fraction of all cores (absent: no cap).'),
    capTransfer: family('interceptor_cap_transfer_bytes_per_second', 'gauge', 'The owner\'s upload, download or disk cap in force (absent: no cap).'),
    capMem: family('interceptor_cap_memory_bytes', 'gauge', 'The owner\'s memory cap in force (absent: no cap).'),
    capacity: family('interceptor_capacity_bytes_per_second', 'gauge', 'The link\'s or disk\'s capacity, given by the owner or measured (absent: unknown).'),
    appInfo: family('interceptor_app_info', 'gauge', 'Always 1 per app: its name and state.'),
    cpuSeconds: family('interceptor_app_cpu_seconds_total', 'counter', 'CPU time the app received (all its processes and cores).'),
    transferBytes: family('interceptor_app_transfer_bytes_total', 'counter', 'Bytes the app moved: uploaded, downloaded, read and written on disk.'),
    cpuRate: family('interceptor_app_cpu_usage_ratio', 'gauge', 'CPU the app received over the last second, a fraction of all cores.'),
    transferRate: family('interceptor_app_transfer_rate_bytes_per_second', 'gauge', 'Bytes per second the app moved over the last second.'),
    memory: family('interceptor_app_memory_bytes', 'gauge', 'Memory the app holds now (committed private writable memory).'),
    shareCpu: family('interceptor_app_cpu_nominal_share_ratio', 'gauge', 'The app\'s nominal share of the CPU, a fraction of all cores.'),
    shareTransfer: family('interceptor_app_transfer_nominal_share_bytes_per_second', 'gauge', 'The app\'s nominal share of upload, download or disk.'),
    shareMem: family('interceptor_app_memory_nominal_share_bytes', 'gauge', 'The app\'s nominal share of memory.'),
    capAppMem: family('interceptor_app_memory_cap_bytes', 'gauge', 'The memory ceiling in force for the app: its share and a part of the unreserved cap (else the owner\'s cap).'),
    waiting: family('interceptor_app_cpu_waiting', 'gauge', 'Held CPU demand: 1 while the app is runnable but not dispatched, else 0.'),
    held: family('interceptor_app_transfer_held_bytes', 'gauge', 'Held demand: bytes of the app\'s calls waiting for upload, download or disk credit.'),
    denials: family('interceptor_app_denials_total', 'counter', 'Denials since the engine started: limit hits (cpu, net, disk; at most one a second each) and memory growths refused.'),
  };

  f.up.samples.push({ value: 1 });
  f.uptime.samples.push({ value: uptimeSeconds });
  f.helpers.samples.push({ value: state.apps.filter((a) => a.state !== 'starting' && LIVE_APP_STATES.includes(a.state)).length });
  f.enforcement.samples.push({ labels: { available: String(state.platform.enforcement), mechanism: state.platform.cpu.mechanism, version: state.version }, value: 1 });
  f.profile.samples.push({ labels: { profile: state.profile, choice: state.profileChoice }, value: 1 });
  f.paused.samples.push({ value: state.pause ? 1 : 0 });
  const transfer = (r: ByteRateResource) => ({ resource: RESOURCE_LABEL[r] });
  if (state.limits.cpu !== null) f.capCpu.samples.push({ value: state.limits.cpu });
  if (state.limits.mem !== null) f.capMem.samples.push({ value: state.limits.mem });
  for (const r of BYTE_RATE_RESOURCES) {
    const cap = state.limits[r];
    if (cap !== null) f.capTransfer.samples.push({ labels: transfer(r), value: cap });
    const capacity = state.capacity[r].bytesPerSec;
    if (capacity !== null) f.capacity.samples.push({ labels: transfer(r), value: capacity });
  }

  for (const app of state.apps) {
    const id = app.definition.id;
    const shares = app.definition.shares;
    const figures = snapshot?.apps.find((a) => a.id === id)?.resources;
    const totals = counters.totals(id);
    const one = (labels: Record<string, string> = {}) => ({ app: id, ...labels });
    f.appInfo.samples.push({ labels: one({ name: app.definition.name, state: app.state }), value: 1 });
    f.shareCpu.samples.push({ labels: one(), value: shares.cpu });
    f.shareMem.samples.push({ labels: one(), value: shares.mem });
    for (const r of BYTE_RATE_RESOURCES) f.shareTransfer.samples.push({ labels: one(transfer(r)), value: shares[r] });
    if (totals) {
      f.cpuSeconds.samples.push({ labels: one(), value: totals.cpu });
      for (const r of BYTE_RATE_RESOURCES) f.transferBytes.samples.push({ labels: one(transfer(r)), value: totals[r] });
    }
    if (!figures) continue;
    f.cpuRate.samples.push({ labels: one(), value: figures.cpu.recent });
    f.memory.samples.push({ labels: one(), value: figures.mem.recent });
    f.waiting.samples.push({ labels: one(), value: figures.cpu.held });
    if (figures.mem.cap !== null) f.capAppMem.samples.push({ labels: one(), value: figures.mem.cap });
    for (const r of BYTE_RATE_RESOURCES) {
      f.transferRate.samples.push({ labels: one(transfer(r)), value: figures[r].recent });
      f.held.samples.push({ labels: one(transfer(r)), value: figures[r].held });
    }
    for (const r of RESOURCES) f.denials.samples.push({ labels: one({ resource: RESOURCE_LABEL[r] }), value: figures[r].denials });
  }
  return Object.values(f);
}

/** What MetricsSource needs of an engine (the Engine, or a contract client). */
export interface MetricsEngine {
  invoke(name: 'getState', args: Record<string, never>): Promise<FullState>;
  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void;
}

/** Follows an engine's snapshots (the counters need every one) and renders its metrics on demand. */
export class MetricsSource {
  private readonly counters = new UsageCounters();
  private last: Snapshot | null = null;
  private readonly off: () => void;

  constructor(
    private readonly engine: MetricsEngine,
    private readonly uptimeSeconds: () => number = () => process.uptime(),
  ) {
    this.off = engine.on('snapshot', (snapshot) => {
      this.last = snapshot;
      this.counters.observe(snapshot);
    });
  }

  async families(): Promise<MetricFamily[]> {
    const state = await this.engine.invoke('getState', {});
    return metricFamilies({ state, snapshot: this.last, counters: this.counters, uptimeSeconds: this.uptimeSeconds() });
  }

  close(): void {
    this.off();
  }
}
