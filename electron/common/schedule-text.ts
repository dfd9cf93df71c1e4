// The week schedule as a person reads and types it, one form for the CLI, policy files and the
// dashboard: slots as words ("in-use"), days ("mon-fri", "weekend"), hours as times ("09-18":
// 09:00 to 18:00), a day as runs ("00-09 auto, 09-18 in-use, 18-24 auto"), an instant as the
// zone's weekday and time ("Tue 18:00"). Pure.
import { DAY_LABELS, DAY_NAMES, SCHEDULE_DAYS, SCHEDULE_HOURS, SCHEDULE_SLOT_VALUES, SLOT_LABELS, type ScheduleSlot } from './schedule.js';

export type Read<T> = { ok: true; value: T } | { ok: false; error: string };

const kebab = (word: string): string => word.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const pad = (hour: number): string => String(hour).padStart(2, '0');

/** auto, in-use, idle, battery, paused. */
export const SLOT_WORDS = SCHEDULE_SLOT_VALUES.map(kebab);

/** "in-use", "inUse", "in_use", "In use" → inUse. */
export function readSlot(word: string): Read<ScheduleSlot> {
  const norm = word.trim().toLowerCase().replace(/[-_\s]/g, '');
  const hit = SCHEDULE_SLOT_VALUES.find((s) => s.toLowerCase() === norm || SLOT_LABELS[s].toLowerCase().replace(/\s/g, '') === norm);
  return hit ? { ok: true, value: hit } : { ok: false, error: `"${word}" is not a slot: one of ${SLOT_WORDS.join(', ')}` };
}

export function slotWord(slot: ScheduleSlot): string {
  return kebab(slot);
}

const DAY_SETS: Record<string, number[]> = { all: [0, 1, 2, 3, 4, 5, 6], daily: [0, 1, 2, 3, 4, 5, 6], weekdays: [0, 1, 2, 3, 4], weekend: [5, 6] };

/** "mon", "mon-fri", "sat,sun", "fri-mon" (wraps), "weekdays", "weekend", "all" → day indices (0 = Monday). */
export function readDays(spec: string): Read<number[]> {
  const days = new Set<number>();
  const dayOf = (w: string) => DAY_NAMES.findIndex((d, i) => d === w || DAY_LABELS[i]!.toLowerCase() === w);
  for (const part of spec.toLowerCase().split(',').map((p) => p.trim())) {
    const set = DAY_SETS[part];
    const m = /^([a-z]{3,9})(?:-([a-z]{3,9}))?$/.exec(part);
    const from = m ? dayOf(m[1]!) : -1;
    const to = m?.[2] !== undefined ? dayOf(m[2]) : from;
    if (set) set.forEach((d) => days.add(d));
    else if (from < 0 || to < 0) return { ok: false, error: `"${part}" is not a day: mon..sun, a range such as mon-fri, weekdays, weekend or all` };
    else for (let d = from; ; d = (d + 1) % SCHEDULE_DAYS) {
      days.add(d);
      if (d === to) break;
    }
  }
  return { ok: true, value: [...days].sort((a, b) => a - b) };
}

/** "09-18" (09:00 to 18:00), "9" (09:00 to 10:00), "22-24", "all" → [from, to) in whole hours. */
export function readHours(spec: string): Read<[number, number]> {
  const s = spec.trim().toLowerCase();
  if (s === 'all') return { ok: true, value: [0, SCHEDULE_HOURS] };
  const m = /^(\d{1,2})(?::00)?(?:-(\d{1,2})(?::00)?)?$/.exec(s);
  const from = m ? Number(m[1]) : NaN;
  const to = m?.[2] !== undefined ? Number(m[2]) : from + 1;
  if (!(from >= 0 && from < SCHEDULE_HOURS && to > from && to <= SCHEDULE_HOURS)) {
    return { ok: false, error: `"${spec}" is not a span of hours: e.g. 09-18 (09:00 to 18:00), 9 (09:00 to 10:00), 22-24 or all` };
  }
  return { ok: true, value: [from, to] };
}

/** A day's 24 slots as runs: "00-09 auto, 09-18 in-use, 18-24 auto". */
export function dayRuns(day: readonly ScheduleSlot[]): string {
  const runs: string[] = [];
  for (let from = 0; from < SCHEDULE_HOURS; ) {
    let to = from + 1;
    while (to < SCHEDULE_HOURS && day[to] === day[from]) to++;
    runs.push(`${pad(from)}-${pad(to)} ${slotWord(day[from]!)}`);
    from = to;
  }
  return runs.join(', ');
}

/** Runs back to 24 slots; hours no run names are auto; runs may not overlap. */
export function readDayRuns(text: string): Read<ScheduleSlot[]> {
  const day = Array<ScheduleSlot | null>(SCHEDULE_HOURS).fill(null);
  for (const run of text.split(',').map((r) => r.trim()).filter(Boolean)) {
    const [hoursText = '', slotText = '', extra] = run.split(/\s+/);
    if (extra !== undefined || slotText === '') return { ok: false, error: `"${run}": expected HOURS SLOT, e.g. 09-18 in-use` };
    const hours = readHours(hoursText);
    if (!hours.ok) return hours;
    const slot = readSlot(slotText);
    if (!slot.ok) return slot;
    for (let h = hours.value[0]; h < hours.value[1]; h++) {
      if (day[h] !== null) return { ok: false, error: `"${run}": ${pad(h)}:00 is already in another run` };
      day[h] = slot.value;
    }
  }
  return { ok: true, value: day.map((s) => s ?? 'auto') };
}

const instantFormatters = new Map<string, Intl.DateTimeFormat>();

/** "Tue 18:00" in the zone (the schedule's hours are its local hours). */
export function formatInstant(at: number, timeZone?: string): string {
  const key = timeZone ?? '';
  let f = instantFormatters.get(key);
  if (!f) instantFormatters.set(key, (f = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })));
  return f.format(at).replace(',', '');
}
