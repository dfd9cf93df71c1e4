// Limits: the owner's caps per profile, the effective caps, the active profile, the
// pause-all lease, the link and disk capacity and the engine's platform and settings. Written by the bridge.
import type { Capacities, EngineSettings, FullState, OwnerLimits, PauseLease, PowerState, ProfileChoice, ProfileName, StartAtLogin } from '../../../electron/common/model.js';
import type { ScheduleState } from '../../../electron/common/schedule.js';
import type { HistoryStatus } from '../../../electron/common/history.js';
import { keepIfEqual, type Slice } from './types.js';

export interface LimitsSlice {
  /** False until the first FullState arrived. */
  loaded: boolean;
  version: string;
  platform: FullState['platform'] | null;
  profile: ProfileName;
  /** The owner's choice: "auto" or a profile picked by hand. */
  profileChoice: ProfileChoice;
  /** Idle and power state behind "auto"; null where the engine has no source of it. */
  power: PowerState | null;
  /** Start at login; null where this engine's host cannot. */
  startAtLogin: StartAtLogin | null;
  profiles: Record<ProfileName, OwnerLimits> | null;
  limits: OwnerLimits | null;
  pause: PauseLease | null;
  settings: EngineSettings | null;
  /** Link and disk capacity (null before the first FullState, or from an engine without it). */
  capacity: Capacities | null;
  /** The week schedule, why the profile is in force, what comes next (null from an engine without it). */
  schedule: ScheduleState | null;
  /** The history database (null before the first FullState, or from an engine without one). */
  historyStatus: HistoryStatus | null;
  setEngineState(state: Omit<FullState, 'apps'>): void;
  setProfileLimits(profile: ProfileName, limits: OwnerLimits): void;
  setCapacity(capacity: Capacities): void;
}

export const createLimitsSlice: Slice<LimitsSlice> = (set) => ({
  loaded: false,
  version: '',
  platform: null,
  profile: 'inUse',
  profileChoice: 'auto',
  power: null,
  startAtLogin: null,
  profiles: null,
  limits: null,
  pause: null,
  settings: null,
  capacity: null,
  schedule: null,
  historyStatus: null,
  setEngineState(state) {
    set((s) => ({
      loaded: true,
      version: state.version,
      platform: keepIfEqual(s.platform ?? undefined, state.platform),
      profile: state.profile,
      profileChoice: state.profileChoice ?? 'auto',
      power: state.power ? keepIfEqual(s.power ?? undefined, state.power) : null,
      startAtLogin: state.startAtLogin ? keepIfEqual(s.startAtLogin ?? undefined, state.startAtLogin) : null,
      profiles: keepIfEqual(s.profiles ?? undefined, state.profiles),
      limits: keepIfEqual(s.limits ?? undefined, state.limits),
      pause: state.pause ? keepIfEqual(s.pause ?? undefined, state.pause) : null,
      settings: keepIfEqual(s.settings ?? undefined, state.settings),
      capacity: state.capacity ? keepIfEqual(s.capacity ?? undefined, state.capacity) : null,
      schedule: state.schedule ? keepIfEqual(s.schedule ?? undefined, state.schedule) : null,
      historyStatus: state.history ? keepIfEqual(s.historyStatus ?? undefined, state.history) : null,
    }));
  },
  setProfileLimits(profile, limits) {
    set((s) => {
      if (!s.profiles) return {};
      const profiles = { ...s.profiles, [profile]: keepIfEqual(s.profiles[profile], limits) };
      return { profiles: keepIfEqual(s.profiles, profiles), limits: profile === s.profile ? keepIfEqual(s.limits ?? undefined, limits) : s.limits };
    });
  },
  setCapacity(capacity) {
    set((s) => ({ capacity: keepIfEqual(s.capacity ?? undefined, capacity) }));
  },
});
