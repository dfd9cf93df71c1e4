// The owner's week schedule: 7 days × 24 hours of local time, each hour saying what decides
// the profile then — "auto" (the owner's pick or idle and power detection, as without a
// schedule), a profile forced, or "paused" (all apps paused). Pure and deterministic: the
// engine evaluates it on its clock, the dashboard to show what comes next for any zone.
import { PROFILE_LABELS, PROFILE_NAMES, type ProfileName } from './profiles.js';

export const SCHEDULE_DAYS = 7;
export const SCHEDULE_HOURS = 24;
/** Day-major: slot index = day × 24 + hour, day 0 = Monday (ISO 8601). */
export const SCHEDULE_SLOTS = SCHEDULE_DAYS * SCHEDULE_HOURS;

export const SCHEDULE_SLOT_VALUES = ['auto', ...PROFILE_NAMES, 'paused'] as const;
export type ScheduleSlot = (typeof SCHEDULE_SLOT_VALUES)[number];

export const SLOT_LABELS: Record<ScheduleSlot, string> = { auto: 'Automatic', ...PROFILE_LABELS, paused: 'Paused' };
export const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const DAY_LABELS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

export interface Schedule {
  /** Off: the grid is kept but nothing follows it. */
  enabled: boolean;
  /** SCHEDULE_SLOTS entries, Monday 00:00–01:00 first. */
  slots: ScheduleSlot[];
}

/** Why the profile in force is the one it is. */
export type ProfileReason = 'manual' | 'schedule' | 'detection';

/** The schedule as the state shows it: the grid, and what it means now and next. */
export interface ScheduleState extends Schedule {
  /** The engine's IANA time zone: the slots are its local hours. */
  timeZone: string;
  reason: ProfileReason;
  /** The schedule's slot now; null while it is off. */
  now: ScheduleSlot | null;
  /** The schedule pauses all apps now. */
  paused: boolean;
  /** A manual pick holds until then (the schedule's next change); null: until changed, or no pick. */
  pickUntil: number | null;
  /** The schedule's next change within a week; null when it is off or never changes. */
  next: ScheduleChange | null;
}

export interface ScheduleChange {
  /** ms since the epoch */
  at: number;
  slot: ScheduleSlot;
}

export function emptySchedule(): Schedule {
  return { enabled: false, slots: Array<ScheduleSlot>(SCHEDULE_SLOTS).fill('auto') };
}

export function isProfileSlot(slot: ScheduleSlot | null): slot is ProfileName {
  return slot !== null && (PROFILE_NAMES as readonly string[]).includes(slot);
}

const WEEKDAY_INDEX: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? '';
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: 'numeric', hourCycle: 'h23' });
    formatters.set(key, f);
  }
  return f;
}

/** A valid IANA zone name (as Intl knows it). */
export function isTimeZone(name: string): boolean {
  // every implementation has UTC (ECMA-402): no formatter, so no time-zone data loaded (~30 ms)
  if (name === 'UTC') return true;
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

/** The local day (0 = Monday) and hour of an instant in a zone (default: the system's). */
export function localDayHour(at: number, timeZone?: string): { day: number; hour: number } {
  let day = 0;
  let hour = 0;
  for (const part of formatter(timeZone).formatToParts(at)) {
    if (part.type === 'weekday') day = WEEKDAY_INDEX[part.value] ?? 0;
    else if (part.type === 'hour') hour = Number(part.value) % 24;
  }
  return { day, hour };
}

/** The slot of an instant; null while the schedule is off. */
export function slotAt(schedule: Schedule, at: number, timeZone?: string): ScheduleSlot | null {
  if (!schedule.enabled) return null;
  const { day, hour } = localDayHour(at, timeZone);
  return schedule.slots[day * SCHEDULE_HOURS + hour] ?? 'auto';
}

/**
 * Every UTC offset and every DST switch of today's zones falls on a multiple of 15 minutes, so
 * the local hour (and with it the slot) can change only at such an instant: stepping by them
 * finds each change exactly, whatever the offset (+05:30, +05:45) or the switch (02:00 → 03:00).
 */
const STEP_MS = 15 * 60_000;
/** A week and a day: a grid that changes at all changes within a week, DST or not. */
const HORIZON_MS = 8 * 24 * 3_600_000;

/** The schedule's first change after `at`: when, and to which slot; null if it is off or never changes. */
export function nextChange(schedule: Schedule, at: number, timeZone?: string): ScheduleChange | null {
  const current = slotAt(schedule, at, timeZone);
  if (current === null || schedule.slots.every((s) => s === current)) return null;
  for (let t = Math.floor(at / STEP_MS) * STEP_MS + STEP_MS; t <= at + HORIZON_MS; t += STEP_MS) {
    const slot = slotAt(schedule, t, timeZone)!;
    if (slot !== current) return { at: t, slot };
  }
  return null;
}

/** The system's zone, as Intl names it. */
export function systemTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The state of a schedule that is off, detection deciding (a fresh engine's). */
export function offScheduleState(timeZone: string): ScheduleState {
  return { ...emptySchedule(), timeZone, reason: 'detection', now: null, paused: false, pickUntil: null, next: null };
}
