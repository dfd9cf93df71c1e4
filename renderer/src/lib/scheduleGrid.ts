// Pure helpers of the week schedule's grid editor: painting a rectangle of hours, moving the
// focus with the keyboard, and what is in force now and next, in words.
import type { PowerState, ProfileName } from '../../../electron/common/model.js';
import { PROFILE_LABELS } from '../../../electron/common/profiles.js';
import { SCHEDULE_DAYS, SCHEDULE_HOURS, SLOT_LABELS, type ScheduleSlot, type ScheduleState } from '../../../electron/common/schedule.js';
import { formatInstant } from '../../../electron/common/schedule-text.js';

export interface Cell {
  day: number;
  hour: number;
}

const between = (x: number, a: number, b: number) => x >= Math.min(a, b) && x <= Math.max(a, b);

export function inRect(cell: Cell, a: Cell, b: Cell): boolean {
  return between(cell.day, a.day, b.day) && between(cell.hour, a.hour, b.hour);
}

/** The slots with every hour of the rectangle a..b (corners included) set to `slot`. */
export function paintRect(slots: readonly ScheduleSlot[], a: Cell, b: Cell, slot: ScheduleSlot): ScheduleSlot[] {
  return slots.map((s, i) => (inRect({ day: Math.floor(i / SCHEDULE_HOURS), hour: i % SCHEDULE_HOURS }, a, b) ? slot : s));
}

const clamp = (x: number, max: number) => Math.min(Math.max(x, 0), max - 1);

/** Where a key moves the focus (arrows, Home/End: the day's first/last hour, PageUp/PageDown: Monday/Sunday); null: not a move. */
export function moveCell(cell: Cell, key: string): Cell | null {
  switch (key) {
    case 'ArrowLeft':
      return { ...cell, hour: clamp(cell.hour - 1, SCHEDULE_HOURS) };
    case 'ArrowRight':
      return { ...cell, hour: clamp(cell.hour + 1, SCHEDULE_HOURS) };
    case 'ArrowUp':
      return { ...cell, day: clamp(cell.day - 1, SCHEDULE_DAYS) };
    case 'ArrowDown':
      return { ...cell, day: clamp(cell.day + 1, SCHEDULE_DAYS) };
    case 'Home':
      return { ...cell, hour: 0 };
    case 'End':
      return { ...cell, hour: SCHEDULE_HOURS - 1 };
    case 'PageUp':
      return { ...cell, day: 0 };
    case 'PageDown':
      return { ...cell, day: SCHEDULE_DAYS - 1 };
    default:
      return null;
  }
}

/** The profile in force and why: "In use — forced by the schedule". */
export function describeNow(schedule: ScheduleState, profile: ProfileName, power: PowerState | null): string {
  const why =
    schedule.reason === 'manual'
      ? schedule.pickUntil !== null
        ? `picked by hand, until the schedule's change at ${formatInstant(schedule.pickUntil, schedule.timeZone)}`
        : 'picked by hand, until you choose again'
      : schedule.reason === 'schedule'
        ? 'forced by the schedule'
        : power
          ? 'from idle and power detection'
          : 'automatic (nothing detects idle or power here)';
  return `${PROFILE_LABELS[profile]} — ${why}${schedule.paused ? '; all apps paused by the schedule' : ''}`;
}

/** The schedule's next change: "Tue 18:00: Paused". */
export function describeNext(schedule: ScheduleState): string {
  if (!schedule.enabled) return 'Nothing: the schedule is off.';
  if (!schedule.next) return 'Nothing: every hour of the week is the same.';
  return `${formatInstant(schedule.next.at, schedule.timeZone)}: ${SLOT_LABELS[schedule.next.slot]}`;
}
