// `interceptor schedule show|set|clear`: the week schedule of the running server — the grid,
// what is in force now and why, what comes next — and painting it from the command line.
import type { FullState } from '../../common/model.js';
import { DAY_LABELS, SCHEDULE_DAYS, SCHEDULE_HOURS, SLOT_LABELS, type ScheduleSlot } from '../../common/schedule.js';
import { formatInstant, readDays, readHours, readSlot, slotWord, type Read } from '../../common/schedule-text.js';
import { UsageError, parseCommandLine } from './args.js';
import { PROFILE_WORDS } from './format.js';
import { CONNECT_OPTIONS, out, withRemote } from './remote.js';

export const SCHEDULE_VERBS = ['show', 'set', 'clear'] as const;
const LETTERS: Record<ScheduleSlot, string> = { auto: '.', inUse: 'U', idle: 'I', battery: 'B', paused: 'P' };

function must<T>(read: Read<T>): T {
  if (!read.ok) throw new UsageError(read.error);
  return read.value;
}

/** The grid, a letter per hour, and its legend. */
export function formatGrid(slots: readonly ScheduleSlot[]): string {
  const hours = Array.from({ length: SCHEDULE_HOURS / 3 }, (_, i) => String(i * 3).padStart(2, '0').padEnd(6)).join('');
  const rows = Array.from({ length: SCHEDULE_DAYS }, (_, d) => `${DAY_LABELS[d]!.slice(0, 3)}   ${slots.slice(d * SCHEDULE_HOURS, (d + 1) * SCHEDULE_HOURS).map((s) => LETTERS[s]).join(' ')}`);
  const legend = (Object.keys(LETTERS) as ScheduleSlot[]).map((s) => `${LETTERS[s]} ${slotWord(s)}`).join('  ');
  return [`      ${hours.trimEnd()}`, ...rows, `Legend: ${legend}`].join('\n');
}

/** What is in force now and why, and what the schedule does next. */
export function formatNowNext(state: FullState): string {
  const s = state.schedule;
  const at = (t: number) => formatInstant(t, s.timeZone);
  const why =
    s.reason === 'manual'
      ? `picked by hand, ${s.pickUntil !== null ? `until the schedule's change at ${at(s.pickUntil)}` : 'until changed'}`
      : s.reason === 'schedule'
        ? 'forced by the schedule'
        : state.power
          ? 'detection: idle and power state'
          : 'automatic, but nothing detects idle or power here';
  const paused = s.paused ? '; all apps paused by the schedule' : '';
  const next = !s.enabled ? 'nothing (the schedule is off)' : s.next ? `${at(s.next.at)} -> ${slotWord(s.next.slot)} (${SLOT_LABELS[s.next.slot]})` : 'nothing (every hour is the same)';
  return `Now:  ${PROFILE_WORDS[state.profile]} (${why})${paused}\nNext: ${next}`;
}

export function formatSchedule(state: FullState): string {
  const s = state.schedule;
  const head = `Schedule: ${s.enabled ? 'on' : 'off'} — hours are local time in ${s.timeZone}${s.now ? `; this hour: ${slotWord(s.now)}` : ''}`;
  return `${head}\n${formatGrid(s.slots)}\n${formatNowNext(state)}\n`;
}

export async function schedule(argv: string[], help: (verb?: string) => number): Promise<number> {
  const p = parseCommandLine(argv, { ...CONNECT_OPTIONS, json: { type: 'boolean' }, on: { type: 'boolean' }, off: { type: 'boolean' } }, { positionals: 4 });
  const verb = p.positionals[0] ?? 'show';
  if (p.help) return help(verb);
  if (!(SCHEDULE_VERBS as readonly string[]).includes(verb)) throw new UsageError(`unknown schedule command "${verb}": ${SCHEDULE_VERBS.join(', ')}`);
  const args = p.positionals.slice(1);
  if (p.values.on && p.values.off) throw new UsageError('--on or --off, not both');
  if (verb !== 'set' && (args.length > 0 || p.values.on || p.values.off)) throw new UsageError(`schedule ${verb} takes no ${args[0] !== undefined ? `argument "${args[0]}"` : '--on or --off'}`);
  let paint: { days: number[]; hours: [number, number]; slot: ScheduleSlot } | null = null;
  if (verb === 'set') {
    if (args.length === 0 && !p.values.on && !p.values.off) throw new UsageError('schedule set DAYS HOURS SLOT (e.g. mon-fri 09-18 in-use), or --on / --off');
    if (args.length > 0) {
      if (args.length !== 3) throw new UsageError('schedule set DAYS HOURS SLOT: three words, e.g. mon-fri 09-18 in-use');
      paint = { days: must(readDays(args[0]!)), hours: must(readHours(args[1]!)), slot: must(readSlot(args[2]!)) };
    }
  }
  return withRemote(p.values, async (remote) => {
    let state = await remote.invoke('getState', {});
    if (verb === 'clear') state = await remote.invoke('setSchedule', { enabled: false, slots: state.schedule.slots.map(() => 'auto' as const) });
    if (verb === 'set') {
      const slots = [...state.schedule.slots];
      for (const d of paint?.days ?? []) for (let h = paint!.hours[0]; h < paint!.hours[1]; h++) slots[d * SCHEDULE_HOURS + h] = paint!.slot;
      // painting turns the schedule on (what else would it be for); --off keeps it off
      state = await remote.invoke('setSchedule', { enabled: !p.values.off, ...(paint ? { slots } : {}) });
    }
    out(p.values.json ? JSON.stringify({ profile: state.profile, profileChoice: state.profileChoice, schedule: state.schedule }, null, 2) + '\n' : formatSchedule(state));
    return 0;
  });
}
