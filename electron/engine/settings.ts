// Persistence of the owner's settings: caps per profile, app definitions, the
// pause-all lease, engine settings and the link and disk capacity, in <configDir>/settings.json. Validated on
// load (schema + shares vs caps), written atomically (tmp + fsync + rename). A file
// that cannot be read is renamed aside (settings.json.corrupt-<time>) and reported,
// never silently dropped or overwritten.
import { promises as fs, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import {
  AppDefinitionSchema,
  CapacitiesSchema,
  EngineSettingsSchema,
  MAX_APPS,
  OwnerLimitsSchema,
  PauseLeaseSchema,
  ProfileChoiceSchema,
  ProfileNameSchema,
  ScheduleSchema,
  UNCAPPED,
  unknownCapacities,
  type AppDefinition,
  type Capacities,
  type EngineSettings,
  type OwnerLimits,
  type PauseLease,
  type ProfileChoice,
  type ProfileName,
} from '../common/model.js';
import { emptySchedule, type Schedule } from '../common/schedule.js';
import { findShareViolation, type Profiles } from './limits.js';

export const SETTINGS_FILE = 'settings.json';
export const SETTINGS_VERSION = 1;

export const SettingsFileSchema = z
  .object({
    version: z.literal(SETTINGS_VERSION),
    profiles: z.object({ inUse: OwnerLimitsSchema, idle: OwnerLimitsSchema, battery: OwnerLimitsSchema }).strict(),
    activeProfile: ProfileNameSchema.default('inUse'),
    /** The owner's choice; files written before it existed follow idle and power state. */
    profileChoice: ProfileChoiceSchema.default('auto'),
    apps: z.array(AppDefinitionSchema).max(MAX_APPS).default([]),
    pause: PauseLeaseSchema.nullable().default(null),
    settings: EngineSettingsSchema.default({}),
    /** Link and disk capacity; files written before it existed load as all unknown. */
    capacity: CapacitiesSchema.default(unknownCapacities),
    /** The week schedule (off in files written before it existed) and when a manual pick ends (schedule.ts). */
    schedule: ScheduleSchema.default(emptySchedule),
    profilePickUntil: z.number().int().nonnegative().nullable().default(null),
  })
  .strict()
  .superRefine((file, ctx) => {
    const ids = new Set<string>();
    for (const app of file.apps) {
      if (ids.has(app.id)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `duplicate app id "${app.id}"`, path: ['apps'] });
      ids.add(app.id);
    }
    const v = findShareViolation(file.apps, file.profiles);
    if (v) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `nominal ${v.resource} shares sum past the "${v.profile}" cap`, path: ['apps'] });
  });

export interface SettingsData {
  version: typeof SETTINGS_VERSION;
  profiles: Profiles;
  activeProfile: ProfileName;
  profileChoice: ProfileChoice;
  apps: AppDefinition[];
  pause: PauseLease | null;
  settings: EngineSettings;
  capacity: Capacities;
  schedule: Schedule;
  profilePickUntil: number | null;
}

export function defaultSettings(): SettingsData {
  const uncapped = (): OwnerLimits => ({ ...UNCAPPED });
  return {
    version: SETTINGS_VERSION,
    profiles: { inUse: uncapped(), idle: uncapped(), battery: uncapped() },
    activeProfile: 'inUse',
    profileChoice: 'auto',
    apps: [],
    pause: null,
    settings: EngineSettingsSchema.parse({}),
    capacity: unknownCapacities(),
    schedule: emptySchedule(),
    profilePickUntil: null,
  };
}


export interface LoadResult {
  data: SettingsData;
  /** Set when the file existed but could not be used: where it was moved and why. */
  corrupt: { movedTo: string; reason: string } | null;
  created: boolean;
}

/** Load settings; a missing file gives defaults; a bad one is moved aside and reported. */
export async function loadSettings(file: string, nowMs = Date.now()): Promise<LoadResult> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { data: defaultSettings(), corrupt: null, created: true };
    throw error;
  }
  let reason: string;
  try {
    const parsed = SettingsFileSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { data: parsed.data as SettingsData, corrupt: null, created: false };
    const issue = parsed.error.issues[0]!;
    reason = `${issue.path.length ? issue.path.join('.') + ': ' : ''}${issue.message}`;
  } catch (error) {
    reason = `not valid JSON (${(error as Error).message})`;
  }
  const stamp = new Date(nowMs).toISOString().replace(/[:.]/g, '-');
  let movedTo = `${file}.corrupt-${stamp}`;
  for (let i = 2; await exists(movedTo); i++) movedTo = `${file}.corrupt-${stamp}-${i}`;
  await fs.rename(file, movedTo);
  return { data: defaultSettings(), corrupt: { movedTo, reason }, created: true };
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p, fsConstants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/** Atomic write: a reader sees the old file or the new one, never a part. */
export async function writeFileAtomic(file: string, text: string, mode = 0o600): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const handle = await fs.open(tmp, 'w', mode);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
  try {
    const dir = await fs.open(path.dirname(file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // directory fsync is best effort (not supported everywhere)
  }
}

/** Serialises writes: each save writes the latest data, one at a time. */
export class SettingsStore {
  private pending: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  save(data: SettingsData): Promise<void> {
    const text = JSON.stringify(data, null, 2) + '\n';
    const run = this.pending.then(() => writeFileAtomic(this.file, text));
    this.pending = run.catch(() => undefined);
    return run;
  }

  flush(): Promise<void> {
    return this.pending;
  }
}
