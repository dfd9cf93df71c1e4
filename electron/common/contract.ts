// The one typed contract between the engine and every UI. Both bridges implement
// it: Electron IPC (preload + ipcMain) and the local WebSocket of `interceptor serve`.
// Argument schemas are runtime values (the engine validates with them); results and
// events are types. The dashboard imports this file with `import type` only (zod stays out
// of its bundle); the errors are in ./errors.ts and the WebSocket wire format in ./wire.ts.
import { z } from 'zod';
import { ENGINE_DOWN, type AdoptResult, type ReleaseResult, type UnitCandidate } from './adopt.js';
import {
  AppDefinitionInputSchema,
  AppSharesSchema,
  AppIdSchema,
  AppPatchSchema,
  EngineSettingsSchema,
  OwnerLimitsSchema,
  ProfileChoiceSchema,
  SystemdUnitRefSchema,
  ProfileNameSchema,
  ScheduleSchema,
  QuotaConfigSchema,
  type AppView,
  type Capacities,
  type EventLogEntry,
  type FullState,
  type OwnerLimits,
  type Snapshot,
} from './model.js';
import { CommandError } from './errors.js';
import { EVENT_KINDS, HISTORY_RANGES, type UsageHistory } from './history.js';
import type { QuotaView } from './quotas.js';
import { BYTE_RATE_RESOURCES, MAX_BYTES } from './resources.js';

export { CommandError, ERROR_CODES, type ErrorCode } from './errors.js';

/** Prefix of every Electron IPC channel of the contract. */
export const IPC_PREFIX = 'interceptor:';
export const IPC_EVENT_CHANNEL = `${IPC_PREFIX}event`;

export const MAX_PAUSE_MS = 30 * 24 * 3600 * 1000;
export const MAX_TERMINAL_WRITE = 64 * 1024;
export const MAX_EVENTS = 5000;
/** Year 9999: a time filter past it is a mistake. */
const MAX_TIME_MS = 253_402_300_799_999;

const byId = z.object({ id: AppIdSchema }).strict();
const empty = z.object({}).strict();

export const commandArgSchemas = {
  getState: empty,
  setOwnerLimits: z.object({ profile: ProfileNameSchema.optional(), limits: OwnerLimitsSchema.partial().strict() }).strict(),
  addApp: AppDefinitionInputSchema,
  updateApp: z.object({ id: AppIdSchema, patch: AppPatchSchema }).strict(),
  removeApp: byId,
  startApp: byId,
  stopApp: byId,
  restartApp: byId,
  pauseApp: byId,
  resumeApp: byId,
  /** durationMs null = until resumed. */
  pauseAll: z.object({ durationMs: z.number().int().positive().max(MAX_PAUSE_MS).nullable() }).strict(),
  resumeAll: empty,
  /** The owner picks a profile by hand (it stays until changed), or "auto": the engine follows idle and power state. */
  setProfile: z.object({ profile: ProfileChoiceSchema }).strict(),
  updateSettings: EngineSettingsSchema.partial().strict(),
  /** The week schedule: on or off, and/or all 168 slots (Monday 00:00 first). */
  setSchedule: ScheduleSchema.partial()
    .strict()
    .refine((s) => s.enabled !== undefined || s.slots !== undefined, 'give enabled, slots or both'),
  /** Start Interceptor at login (the desktop app: XDG autostart entry; headless: systemd user unit). */
  setStartAtLogin: z.object({ enabled: z.boolean() }).strict(),
  writeTerminal: z.object({ id: AppIdSchema, data: z.string().max(MAX_TERMINAL_WRITE) }).strict(),
  resizeTerminal: z.object({ id: AppIdSchema, cols: z.number().int().min(2).max(1000), rows: z.number().int().min(2).max(1000) }).strict(),
  getTerminalBacklog: byId,
  getHistory: z.object({ seconds: z.number().int().min(1).max(3600) }).strict(),
  getEventLog: z.object({ sinceSeq: z.number().int().min(0).default(0) }).strict(),
  /** Usage over a range from the history database, in buckets (5 min: 1 s … 30 d: 2 h); one app's and the totals, or all. */
  getUsage: z.object({ range: z.enum(HISTORY_RANGES), appId: AppIdSchema.optional() }).strict(),
  /** The event log, filtered: the newest `limit` entries that match, oldest first. */
  getEvents: z
    .object({
      appId: AppIdSchema.optional(),
      kinds: z.array(z.enum(EVENT_KINDS)).min(1).max(EVENT_KINDS.length).optional(),
      from: z.number().int().min(0).max(MAX_TIME_MS).optional(),
      to: z.number().int().min(0).max(MAX_TIME_MS).optional(),
      beforeSeq: z.number().int().min(1).optional(),
      limit: z.number().int().min(1).max(MAX_EVENTS).default(500),
    })
    .strict(),
  checkExecutable: z.object({ command: z.string().min(1).max(4096), cwd: z.string().max(4096).optional() }).strict(),
  /** The owner gives a link or disk capacity (bytes/s); null forgets it (back to measured, or unknown). */
  setCapacity: z
    .object({ resource: z.enum(BYTE_RATE_RESOURCES), bytesPerSec: z.number().finite().positive().max(MAX_BYTES).nullable() })
    .strict(),
  /** Measure now: 'net' reads the link speed (or the peak observed) for up and down; 'disk' times a 64 MiB write + read. */
  measureCapacity: z.object({ resource: z.enum(['net', 'disk']) }).strict(),
  /** The launcher of an adopted systemd unit (`interceptor exec-adopted`) connects its helper: a one-time token for it. */
  attachApp: byId,
  /** The user's and the system's service units that look like P2P services. */
  listUnits: empty,
  /** Run a unit under the caps: an app with these shares, and a drop-in wrapping its ExecStart. */
  adoptUnit: SystemdUnitRefSchema.extend({
    shares: AppSharesSchema.partial().strict().default({}),
    engineDown: z.enum(ENGINE_DOWN).default('run'),
    appName: z.string().trim().min(1).max(80).optional(),
  }).strict(),
  /** Give an adopted unit back to systemd as it was. */
  releaseUnit: SystemdUnitRefSchema,
  /** Transfer quotas (./quotas.ts): the rules, and what their periods counted so far. */
  getQuotas: empty,
  /** The rules (all of them, replacing the ones before) and the day the month starts on; either may be left out. */
  setQuotas: QuotaConfigSchema.partial().strict(),
} as const;

export type CommandName = keyof typeof commandArgSchemas;
export const COMMAND_NAMES = Object.keys(commandArgSchemas) as CommandName[];
export type CommandArgs<N extends CommandName> = z.input<(typeof commandArgSchemas)[N]>;
export type ParsedCommandArgs<N extends CommandName> = z.output<(typeof commandArgSchemas)[N]>;

export interface CommandResults {
  getState: FullState;
  setOwnerLimits: OwnerLimits;
  addApp: AppView;
  updateApp: AppView;
  removeApp: null;
  startApp: AppView;
  stopApp: AppView;
  restartApp: AppView;
  pauseApp: AppView;
  resumeApp: AppView;
  pauseAll: FullState;
  resumeAll: FullState;
  setProfile: FullState;
  updateSettings: FullState;
  setSchedule: FullState;
  setStartAtLogin: FullState;
  writeTerminal: null;
  resizeTerminal: null;
  getTerminalBacklog: string;
  getHistory: Snapshot[];
  getEventLog: EventLogEntry[];
  getUsage: UsageHistory;
  getEvents: EventLogEntry[];
  checkExecutable: { ok: boolean; resolved: string | null; error: string | null };
  setCapacity: Capacities;
  measureCapacity: Capacities;
  attachApp: { controlPath: string; token: string };
  listUnits: UnitCandidate[];
  adoptUnit: AdoptResult;
  releaseUnit: ReleaseResult;
  getQuotas: QuotaView;
  setQuotas: QuotaView;
}
export type CommandResult<N extends CommandName> = CommandResults[N];

export interface EventPayloads {
  snapshot: Snapshot;
  state: FullState;
  terminalData: { id: string; data: string };
  log: EventLogEntry;
}
export type EventName = keyof EventPayloads;
export const EVENT_NAMES: EventName[] = ['snapshot', 'state', 'terminalData', 'log'];


/** What both bridges give a UI: invoke a command, subscribe to an event. */
export interface InterceptorApi {
  invoke<N extends CommandName>(name: N, args: CommandArgs<N>): Promise<CommandResult<N>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void;
}

/** Validate and range-check a command's arguments; throws CommandError('invalid'). */
export function parseCommandArgs<N extends CommandName>(name: N, args: unknown): ParsedCommandArgs<N> {
  const schema = commandArgSchemas[name] as z.ZodTypeAny | undefined;
  if (!schema) throw new CommandError('invalid', `unknown command "${String(name)}"`);
  const result = schema.safeParse(args ?? {});
  if (!result.success) {
    throw new CommandError('invalid', `${String(name)}: ${issueText(result.error.issues[0]!)}`);
  }
  return result.data as ParsedCommandArgs<N>;
}

/** One validation issue for a person, led by the field's path: `apps[2].shares.netDown: expected …`. */
export function issueText(issue: z.ZodIssue): string {
  const where = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
  return where ? `${where}: ${issue.message}` : issue.message;
}

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(commandArgSchemas, name);
}
