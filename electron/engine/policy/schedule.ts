// The week schedule in a policy file: on or off, and each day as runs of hours the owner reads
// ("mon: 00-09 auto, 09-18 in-use, 18-24 auto"); a day left out is all auto. A schedule in the
// file is the whole schedule. Read, compared with the engine's, and printed back exactly.
import { z } from 'zod';
import { DAY_NAMES, SCHEDULE_HOURS, type Schedule, type ScheduleSlot } from '../../common/schedule.js';
import { dayRuns, readDayRuns } from '../../common/schedule-text.js';
import type { Change, Step } from './plan.js';

const dayField = z
  .string()
  .max(1000)
  .transform((value, ctx) => {
    const read = readDayRuns(value);
    if (read.ok) return read.value;
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${read.error} (runs such as "00-09 auto, 09-18 in-use, 18-24 auto")` });
    return z.NEVER;
  })
  .optional();

const dayFields = Object.fromEntries(DAY_NAMES.map((d) => [d, dayField])) as Record<(typeof DAY_NAMES)[number], typeof dayField>;

export const ScheduleFileSchema = z
  .object({ enabled: z.boolean().default(true), ...dayFields })
  .strict()
  .transform((file): Schedule => ({
    enabled: file.enabled,
    slots: DAY_NAMES.flatMap((d) => file[d] ?? Array<ScheduleSlot>(SCHEDULE_HOURS).fill('auto')),
  }));

const dayOf = (s: Schedule, i: number): ScheduleSlot[] => s.slots.slice(i * SCHEDULE_HOURS, (i + 1) * SCHEDULE_HOURS);

/** The file's form: enabled, then every day as runs. */
export function scheduleDoc(s: Schedule): Record<string, string | boolean> {
  return { enabled: s.enabled, ...Object.fromEntries(DAY_NAMES.map((d, i) => [d, dayRuns(dayOf(s, i))])) };
}

/** What applying `wanted` over `now` changes, and the command that does it. */
export function planSchedule(now: Schedule | undefined, wanted: Schedule): { change: Change; steps: Step[] } {
  const differences: string[] = [];
  if (now?.enabled !== wanted.enabled) differences.push(`${now ? (now.enabled ? 'on' : 'off') : '(none)'} -> ${wanted.enabled ? 'on' : 'off'}`);
  DAY_NAMES.forEach((d, i) => {
    const to = dayRuns(dayOf(wanted, i));
    const from = now ? dayRuns(dayOf(now, i)) : '(none)';
    if (from !== to) differences.push(`${d} ${from} -> ${to}`);
  });
  if (differences.length === 0) return { change: { kind: 'unchanged', subject: 'schedule', detail: wanted.enabled ? 'on' : 'off' }, steps: [] };
  return {
    change: { kind: 'changed', subject: 'schedule', detail: differences.join('; ') },
    steps: [{ name: 'setSchedule', args: { enabled: wanted.enabled, slots: [...wanted.slots] } }],
  };
}
