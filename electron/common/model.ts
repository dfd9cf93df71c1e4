// The data model shared by every surface. Zod schemas are the single source of
// truth: types are inferred from them, and the engine validates every value that
// crosses a process boundary against them (the dashboard imports the types only, so
// zod stays out of its bundle).
import { z } from 'zod';
import { CAPACITY_SOURCES, MAX_CAPACITY_METHOD } from './capacity.js';
import { NO_CEILINGS } from './ceilings.js';
import { MAX_QUOTA_RULES, MAX_RESET_DAY, QUOTA_ACTIONS, QUOTA_DIRECTIONS, QUOTA_PERIODS } from './quotas.js';
import { IDLE_MAX_SECONDS, IDLE_MIN_SECONDS, PROFILE_CHOICES, PROFILE_NAMES, type ProfileChoice, type ProfileName } from './profiles.js';
import type { EventKind, HistoryStatus } from './history.js';
import { BYTE_RATE_RESOURCES, MAX_BYTES, type ByteRateResource, type Resource } from './resources.js';
import { SCHEDULE_SLOTS, SCHEDULE_SLOT_VALUES, type ScheduleState } from './schedule.js';

// The vocabulary that needs no schema lives in modules of its own (pure, the dashboard
// imports them); re-exported here so the model reads whole.
export {
  CAPACITY_SOURCES,
  MAX_CAPACITY_METHOD,
  PEAK_OBSERVED_METHOD,
  UNKNOWN_CAPACITY,
  capacityIsLowerBound,
  capacityLimit,
  unknownCapacities,
  type CapacitySource,
} from './capacity.js';
export { NO_CEILINGS, ceilingConflict } from './ceilings.js';
export { PROFILE_CHOICES, PROFILE_NAMES, type ProfileChoice, type ProfileName } from './profiles.js';

export const MAX_APPS = 64;
export const MAX_ARGS = 256;
export const MAX_STRING = 4096;

const fraction = z.number().finite().min(0).max(1);
const byteRate = z.number().finite().min(0).max(MAX_BYTES);
const byteSize = z.number().finite().min(0).max(MAX_BYTES);

/** S(P2P, τ): the owner's caps. null = no cap for that resource. */
export const OwnerLimitsSchema = z
  .object({
    cpu: fraction.nullable(), // fraction of all cores
    netUp: byteRate.nullable(), // bytes/s
    netDown: byteRate.nullable(), // bytes/s
    disk: byteRate.nullable(), // bytes/s, reads + writes
    mem: byteSize.nullable(), // bytes, committed private writable memory
  })
  .strict();
export type OwnerLimits = z.infer<typeof OwnerLimitsSchema>;

export const UNCAPPED: OwnerLimits = { cpu: null, netUp: null, netDown: null, disk: null, mem: null };

/** S(Pi, τ): an app's nominal share, in the same unit as the cap. */
export const AppSharesSchema = z
  .object({
    cpu: fraction,
    netUp: byteRate,
    netDown: byteRate,
    disk: byteRate,
    mem: byteSize,
  })
  .strict();
export type AppShares = z.infer<typeof AppSharesSchema>;

export const ZERO_SHARES: AppShares = { cpu: 0, netUp: 0, netDown: 0, disk: 0, mem: 0 };

/** An app's ceilings (./ceilings.ts): the most it receives, in the unit of its share; null = none. */
export const AppCeilingsSchema = z
  .object({ cpu: fraction.nullable(), netUp: byteRate.nullable(), netDown: byteRate.nullable(), disk: byteRate.nullable(), mem: byteSize.nullable() })
  .strict();
export type AppCeilings = z.infer<typeof AppCeilingsSchema>;

const boundedString = z.string().max(MAX_STRING).refine((s) => !s.includes('\0'), 'must not contain NUL');

/** A systemd service unit an app was adopted from (`interceptor adopt`): systemd starts it, not the engine. */
export const SystemdUnitRefSchema = z
  .object({
    name: z.string().max(256).regex(/^[A-Za-z0-9:_.\\-]+(@[A-Za-z0-9:_.\\-]+)?\.service$/, 'expected a service unit name such as tor.service or syncthing@alice.service'),
    scope: z.enum(['user', 'system']),
  })
  .strict();
export type SystemdUnitRef = z.infer<typeof SystemdUnitRefSchema>;

export const AppDefinitionInputSchema = z
  .object({
    name: z.string().trim().min(1).max(80),
    command: boundedString.pipe(z.string().min(1)),
    args: z.array(boundedString).max(MAX_ARGS).default([]),
    cwd: boundedString.optional(),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'invalid variable name').max(256), boundedString).default({}),
    autostart: z.boolean().default(false),
    shares: AppSharesSchema.default(ZERO_SHARES),
    systemdUnit: SystemdUnitRefSchema.optional(),
    /** Upper bounds beside the nominal shares (./ceilings.ts). */
    ceilings: AppCeilingsSchema.default(NO_CEILINGS),
  })
  .strict();
export type AppDefinitionInput = z.input<typeof AppDefinitionInputSchema>;

export const AppIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'invalid app id');
export type AppId = z.infer<typeof AppIdSchema>;

export const AppDefinitionSchema = AppDefinitionInputSchema.extend({ id: AppIdSchema }).strict();
export type AppDefinition = z.infer<typeof AppDefinitionSchema>;

/** A change of an app; `ceilings` may name only the resources it changes. */
export const AppPatchSchema = AppDefinitionInputSchema.partial().extend({ ceilings: AppCeilingsSchema.partial().strict().optional() }).strict();
export type AppPatch = z.infer<typeof AppPatchSchema>;

/**
 * running: using the CPU, or sleeping until its own events (nothing of ours holds it);
 * waiting: runnable but not dispatched (waiting for CPU: other apps or the cap come first);
 * held: at least one call waits for network or disk credit; paused by the owner; exited.
 */
export const APP_STATES = ['stopped', 'starting', 'running', 'waiting', 'held', 'paused', 'exited', 'crashed'] as const;
export type AppState = (typeof APP_STATES)[number];
/** States of an app whose process tree is alive. */
export const LIVE_APP_STATES: readonly AppState[] = ['starting', 'running', 'waiting', 'held', 'paused'];

export interface AppView {
  definition: AppDefinition;
  state: AppState;
  pid: number | null;
  exitCode: number | null;
  exitSignal: string | null;
  startedAt: number | null; // ms since epoch
  pausedByOwner: boolean;
}

/** One resource of one app (or of the total) in a snapshot. Units as RESOURCE_UNITS. */
export interface ResourceFigure {
  nominal: number; // S(Pi, τ); for the total, the cap (null = none)
  cap: number | null; // per-app ceiling in force (mem) or the owner cap (total)
  recent: number; // received over the last second (fraction, bytes/s, or bytes for mem)
  sinceStart: number; // R(Pi, T, τ): average since creation
  lag: number; // R − S (received minus nominal), same unit
  held: number; // demand waiting: bytes held (net/disk), 1/0 for cpu ready-but-not-dispatched
  used: number; // received since the app started: CPU seconds (cpu), bytes moved (net, disk); bytes now (mem)
  denials: number; // since the engine started: limit hits (a call held at the cap; cpu, net, disk), growths refused (mem)
}

export type ResourceFigures = Record<Resource, ResourceFigure>;

export interface AppSnapshot {
  id: AppId;
  state: AppState;
  resources: ResourceFigures;
}

export interface Snapshot {
  t: number; // ms since epoch
  profile: ProfileName;
  limits: OwnerLimits; // the effective caps (active profile, pause applied)
  /** Capacity (bytes/s) of each byte-rate resource, null = unknown: cap / capacity is S(P2P, τ) as a fraction. */
  capacity: Record<ByteRateResource, number | null>;
  total: ResourceFigures;
  apps: AppSnapshot[];
}

/**
 * The capacity of a byte-rate resource: the link's speed for netUp and netDown, the
 * disk's sequential throughput for disk. Given by the owner or measured; caps are
 * absolute rates, and the capacity turns them into the paper's S(P2P, τ) as a fraction.
 * Which capacity bounds a cap: ./capacity.ts.
 */
export const CapacitySchema = z
  .object({
    bytesPerSec: z.number().finite().positive().max(MAX_BYTES).nullable(),
    source: z.enum(CAPACITY_SOURCES),
    measuredAt: z.number().int().nonnegative().nullable(), // ms since epoch
    method: z.string().max(MAX_CAPACITY_METHOD).nullable(), // how it was measured, for a person
  })
  .strict()
  .refine((c) => (c.source === 'unknown') === (c.bytesPerSec === null), 'a capacity has a value exactly when its source is not "unknown"');
export type Capacity = z.infer<typeof CapacitySchema>;

export const CapacitiesSchema = z.object({ netUp: CapacitySchema, netDown: CapacitySchema, disk: CapacitySchema }).strict();
export type Capacities = Record<ByteRateResource, Capacity>;
export const CAPACITY_RESOURCES = BYTE_RATE_RESOURCES;

export const ProfileNameSchema = z.enum(PROFILE_NAMES);
export const ProfileChoiceSchema = z.enum(PROFILE_CHOICES);

/** The week schedule (./schedule.ts): 168 slots, Monday 00:00 first, each auto, a profile or paused. */
export const ScheduleSlotSchema = z.enum(SCHEDULE_SLOT_VALUES);
export const ScheduleSchema = z
  .object({
    enabled: z.boolean(),
    slots: z.array(ScheduleSlotSchema).length(SCHEDULE_SLOTS, `expected ${SCHEDULE_SLOTS} slots (7 days × 24 hours, Monday 00:00 first)`),
  })
  .strict();

/** What the automatic profile choice saw last; null fields are unknown (no source could tell). */
export interface PowerState {
  onBattery: boolean | null;
  /** Seconds since the last input of the user. */
  idleSeconds: number | null;
  /** The screen is locked. */
  locked: boolean | null;
  /** Which sources answered, e.g. ["sysfs power_supply", "logind"]. */
  sources: string[];
  /** ms since epoch */
  at: number;
}

/** Pause of all P2P apps: a lease that expires by itself and survives a restart. */
export const PauseLeaseSchema = z
  .object({
    since: z.number().int().nonnegative(),
    until: z.number().int().nonnegative().nullable(), // null = until resumed
  })
  .strict();
export type PauseLease = z.infer<typeof PauseLeaseSchema>;


export interface EventLogEntry {
  seq: number;
  t: number; // ms since epoch
  kind: EventKind;
  appId: AppId | null;
  resource: Resource | null;
  message: string;
}

export const ON_ENGINE_LOSS = ['terminate', 'continue'] as const;
export const EngineSettingsSchema = z
  .object({
    snapshotHz: z.number().min(0.2).max(20).default(2),
    cpuSliceMs: z.number().int().min(2).max(100).default(20),
    /** What a helper does with its app when the engine goes away. */
    onEngineLoss: z.enum(ON_ENGINE_LOSS).default('terminate'),
    /**
     * The paper's dual priority: dispatched apps run SCHED_RR (above the owner's
     * normal processes) so a CPU hog of the owner cannot starve them below their
     * nominal share (C1); the CPU bucket still bounds them by the cap (C2). Used
     * only where the system permits it (root, or RLIMIT_RTPRIO > 0).
     */
    cpuDualPriority: z.boolean().default(true),
    /**
     * How the CPU cap and shares are enforced. auto: the kernel's CPU bandwidth control
     * (a cgroup per app under one of Interceptor's) where the system allows it, else
     * ptrace stops; cgroup: the same, saying why when it cannot; ptrace: always stops.
     */
    cpuMechanism: z.enum(['auto', 'cgroup', 'ptrace']).default('auto'),
    /** What quitting Interceptor does with running apps. */
    onQuit: z.enum(['stop', 'leaveRunning']).default('stop'),
    idleThresholdSeconds: z.number().int().min(IDLE_MIN_SECONDS).max(IDLE_MAX_SECONDS).default(300),
    /**
     * PNS's bound on catch-up, in epochs: an app that wakes more than this many epochs behind
     * the others (in PNS's Done) is moved up to that distance and forfeits the rest of what it
     * missed. null: unbounded, as in the paper (an app that blocked gets back all it missed).
     */
    catchUpEpochs: z.number().int().min(0).max(1000).nullable().default(null),
    policies: z
      .object({
        cpu: z.enum(['pns', 'stride']).default('pns'),
        net: z.enum(['pns', 'stride']).default('pns'),
        disk: z.enum(['pns', 'stride']).default('pns'),
      })
      .strict()
      .default({}),
  })
  .strict();
export type EngineSettings = z.infer<typeof EngineSettingsSchema>;

export const CPU_MECHANISMS = ['cgroup', 'ptrace'] as const;
export type CpuMechanism = (typeof CPU_MECHANISMS)[number];

/** What enforces the CPU cap and the shares now. */
export interface CpuEnforcement {
  mechanism: CpuMechanism;
  /** For a person, e.g. "cgroup v1 cpu controller, /sys/fs/cgroup/cpu/interceptor". */
  detail: string;
  /** Why the kernel's bandwidth control is not in use; null when it is, or when the owner chose ptrace. */
  unavailable: string | null;
}

/** Whether Interceptor starts at login, and by what (an XDG autostart entry, a systemd user unit). */
export interface StartAtLogin {
  enabled: boolean;
  /** For a person, e.g. "XDG autostart entry /home/a/.config/autostart/interceptor.desktop". */
  how: string;
  /** Why it may not work as shown (e.g. the user's systemd cannot be reached); null when nothing is known wrong. */
  problem: string | null;
}

export interface FullState {
  version: string;
  platform: { os: string; cores: number; enforcement: boolean; reason: string | null; cpu: CpuEnforcement };
  /** The profile in force. */
  profile: ProfileName;
  /** The owner's choice: "auto" (chosen from idle and power state) or a pinned profile. */
  profileChoice: ProfileChoice;
  /** Idle and power state behind an "auto" choice; null when this engine has no source of it. */
  power: PowerState | null;
  profiles: Record<ProfileName, OwnerLimits>;
  limits: OwnerLimits; // effective limits now
  apps: AppView[];
  pause: PauseLease | null;
  settings: EngineSettings;
  /** Link and disk capacity: owner-given, measured or unknown. */
  capacity: Capacities;
  /** null: this engine's host cannot start Interceptor at login (e.g. `interceptor run`). */
  startAtLogin: StartAtLogin | null;
  /** The week schedule, why the profile in force is the one it is, and what comes next. */
  schedule: ScheduleState;
  /** The history database: where it is, and what went wrong with it. */
  history: HistoryStatus;
}

/** A transfer quota (./quotas.ts); its type is QuotaRule there. */
export const QuotaRuleSchema = z
  .object({
    appId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'invalid app id').nullable(),
    period: z.enum(QUOTA_PERIODS),
    direction: z.enum(QUOTA_DIRECTIONS),
    bytes: z.number().finite().positive().max(MAX_BYTES),
    action: z.enum(QUOTA_ACTIONS),
    slowTo: byteRate.nullable().default(null),
  })
  .strict()
  .refine((q) => (q.action === 'slow') === (q.slowTo !== null), { message: 'a rate exactly when the action is "slow"', path: ['slowTo'] });

export const QuotaConfigSchema = z
  .object({
    resetDay: z.number().int().min(1).max(MAX_RESET_DAY).default(1),
    rules: z.array(QuotaRuleSchema).max(MAX_QUOTA_RULES).default([]),
  })
  .strict();
