// Shared builders of engine values for the renderer's tests.
import type { AppShares, AppSnapshot, AppView, Capacities, Capacity, EventLogEntry, FullState, OwnerLimits, ResourceFigures, Snapshot } from '../../electron/common/model.js';
import { offScheduleState } from '../../electron/common/schedule.js';

export const RES = ['cpu', 'netUp', 'netDown', 'disk', 'mem'] as const;

export function limits(l: Partial<OwnerLimits> = {}): OwnerLimits {
  return { cpu: 0.5, netUp: 1e6, netDown: 4e6, disk: 10e6, mem: 2e9, ...l };
}

export function appView(id: string, shares: Partial<AppShares> = {}, state: AppView['state'] = 'running'): AppView {
  return {
    definition: { id, name: id, command: 'sh', args: [], env: {}, autostart: false, shares: { cpu: 0, netUp: 0, netDown: 0, disk: 0, mem: 0, ...shares }, ceilings: { cpu: null, netUp: null, netDown: null, disk: null, mem: null } },
    state,
    pid: state === 'running' ? 100 : null,
    exitCode: null,
    exitSignal: null,
    startedAt: 1,
    pausedByOwner: false,
  };
}

export const UNKNOWN: Capacity = { bytesPerSec: null, source: 'unknown', measuredAt: null, method: null };
export function capacities(c: Partial<Capacities> = {}): Capacities {
  return { netUp: { ...UNKNOWN }, netDown: { ...UNKNOWN }, disk: { ...UNKNOWN }, ...c };
}

export function fullState(apps: AppView[], over: Partial<FullState> = {}): FullState {
  return {
    version: '0.1.0',
    platform: { os: 'linux', cores: 2, enforcement: true, reason: null, cpu: { mechanism: 'ptrace', detail: 'ptrace stops', unavailable: null } },
    profile: 'inUse',
    profileChoice: 'auto',
    power: null,
    profiles: { inUse: limits(), idle: limits({ cpu: 0.9 }), battery: limits({ cpu: 0.2 }) },
    limits: limits(),
    apps,
    pause: null,
    settings: { snapshotHz: 2, cpuSliceMs: 20, onEngineLoss: 'terminate', cpuDualPriority: true, cpuMechanism: 'auto', catchUpEpochs: null, onQuit: 'stop', idleThresholdSeconds: 300, policies: { cpu: 'pns', net: 'pns', disk: 'pns' } },
    capacity: capacities(),
    startAtLogin: null,
    schedule: offScheduleState('UTC'),
    history: { file: null, ok: false, problem: null, keptAside: null },
    ...over,
  };
}

function figures(recent: number): ResourceFigures {
  const f = { nominal: 0, cap: null, recent, sinceStart: recent, lag: recent, held: 0, used: 0, denials: 0 };
  return { cpu: { ...f }, netUp: { ...f }, netDown: { ...f }, disk: { ...f }, mem: { ...f } };
}

export function snapshot(t: number, apps: Record<string, number>, l: OwnerLimits = limits()): Snapshot {
  const list: AppSnapshot[] = Object.entries(apps).map(([id, v]) => ({ id, state: 'running', resources: figures(v) }));
  const total = Object.values(apps).reduce((a, b) => a + b, 0);
  return { t, profile: 'inUse', limits: l, capacity: { netUp: null, netDown: null, disk: null }, total: figures(total), apps: list };
}

export function logEntry(seq: number, kind: EventLogEntry['kind'] = 'limitHit'): EventLogEntry {
  return { seq, t: 1000 + seq, kind, appId: null, resource: null, message: `event ${seq}` };
}
