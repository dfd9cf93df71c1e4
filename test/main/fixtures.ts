// Shared fixtures of the shell tests: a FullState builder and app views.
import type { AppView, FullState, PauseLease } from '../../electron/common/model.js';
import { UNCAPPED } from '../../electron/common/model.js';
import { offScheduleState } from '../../electron/common/schedule.js';

export function app(id: string, state: AppView['state'], name = id): AppView {
  return {
    definition: { id, name, command: '/bin/true', args: [], env: {}, autostart: false, shares: { cpu: 0, netUp: 0, netDown: 0, disk: 0, mem: 0 }, ceilings: { cpu: null, netUp: null, netDown: null, disk: null, mem: null } },
    state,
    pid: state === 'running' ? 1234 : null,
    exitCode: null,
    exitSignal: null,
    startedAt: null,
    pausedByOwner: state === 'paused',
  };
}

export function fullState(partial: { apps?: AppView[]; pause?: PauseLease | null; profile?: FullState['profile']; profileChoice?: FullState['profileChoice'] } = {}): FullState {
  return {
    version: '0.1.0',
    platform: { os: 'linux', cores: 2, enforcement: true, reason: null, cpu: { mechanism: 'ptrace', detail: 'ptrace stops', unavailable: null } },
    profile: partial.profile ?? 'inUse',
    profileChoice: partial.profileChoice ?? 'auto',
    power: null,
    profiles: { inUse: UNCAPPED, idle: UNCAPPED, battery: UNCAPPED },
    limits: UNCAPPED,
    apps: partial.apps ?? [],
    pause: partial.pause ?? null,
    settings: {
      snapshotHz: 2,
      cpuSliceMs: 20,
      onEngineLoss: 'terminate',
      cpuDualPriority: true,
      cpuMechanism: 'auto',
      catchUpEpochs: null,
      onQuit: 'stop',
      idleThresholdSeconds: 300,
      policies: { cpu: 'pns', net: 'pns', disk: 'pns' },
    },
    capacity: {
      netUp: { bytesPerSec: null, source: 'unknown', measuredAt: null, method: null },
      netDown: { bytesPerSec: null, source: 'unknown', measuredAt: null, method: null },
      disk: { bytesPerSec: null, source: 'unknown', measuredAt: null, method: null },
    },
    startAtLogin: null,
    schedule: offScheduleState('UTC'),
    history: { file: null, ok: false, problem: null, keptAside: null },
  };
}
