// `interceptor history` (usage over a range, as CSV or JSON) and `interceptor events` (the
// event log, filtered): both read the running server's history database over the contract.
import { isHistoryRange, HISTORY_RANGES, usageCsv, type HistoryRange } from '../../common/history.js';
import { EVENT_KINDS, type EventKind } from '../../common/history.js';
import { AppIdSchema, type EventLogEntry } from '../../common/model.js';
import { UsageError, parseDuration, str, type OptionSpec, type Parsed } from './args.js';
import { CONNECT_OPTIONS, out, withRemote } from './remote.js';

export const HISTORY_OPTIONS: OptionSpec = { ...CONNECT_OPTIONS, range: { type: 'string', short: 'r' }, app: { type: 'string' }, csv: { type: 'boolean' }, json: { type: 'boolean' } };
export const EVENTS_OPTIONS: OptionSpec = { ...CONNECT_OPTIONS, app: { type: 'string' }, kind: { type: 'string', multiple: true }, since: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } };

const YEAR_MS = 366 * 86_400_000;

function appOption(p: Parsed): string | undefined {
  const app = str(p.values.app);
  if (app !== undefined && !AppIdSchema.safeParse(app).success) throw new UsageError(`--app "${app}" is not an app id (see \`interceptor apps list\`)`);
  return app;
}

export async function history(p: Parsed): Promise<number> {
  const rangeText = str(p.values.range) ?? '1h';
  if (!isHistoryRange(rangeText)) throw new UsageError(`--range must be one of ${HISTORY_RANGES.join(', ')}, not "${rangeText}"`);
  if (p.values.csv === true && p.values.json === true) throw new UsageError('--csv and --json: give one');
  const range: HistoryRange = rangeText;
  const appId = appOption(p);
  return withRemote(p.values, async (remote) => {
    const usage = await remote.invoke('getUsage', appId === undefined ? { range } : { range, appId });
    out(p.values.json === true ? JSON.stringify(usage, null, 2) + '\n' : usageCsv(usage));
    return 0;
  });
}

export async function events(p: Parsed): Promise<number> {
  const kinds = ((p.values.kind as string[] | undefined) ?? []).flatMap((k) => k.split(',')).filter(Boolean);
  for (const k of kinds) if (!(EVENT_KINDS as readonly string[]).includes(k)) throw new UsageError(`--kind "${k}": one of ${EVENT_KINDS.join(', ')}`);
  const sinceText = str(p.values.since);
  const since = sinceText === undefined ? undefined : parseDuration(sinceText, { ms: YEAR_MS, says: 'events are kept a year: --since at most 366d' });
  const limitText = str(p.values.limit);
  const limit = limitText === undefined ? 200 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 5000) throw new UsageError(`--limit must be a whole number from 1 to 5000, not "${limitText}"`);
  const appId = appOption(p);
  return withRemote(p.values, async (remote) => {
    const entries = await remote.invoke('getEvents', {
      limit,
      ...(appId !== undefined ? { appId } : {}),
      ...(kinds.length ? { kinds: kinds as EventKind[] } : {}),
      ...(since !== undefined ? { from: Date.now() - since } : {}),
    });
    out(p.values.json === true ? JSON.stringify(entries, null, 2) + '\n' : entries.map(eventLine).join(''));
    return 0;
  });
}

function eventLine(e: EventLogEntry): string {
  const when = new Date(e.t).toLocaleString('sv-SE');
  return `${when}  ${e.kind.padEnd(9)} ${(e.appId ?? '-').padEnd(12)} ${e.resource ?? ''}${e.resource ? ' ' : ''}${e.message}\n`;
}
