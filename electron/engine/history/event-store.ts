// The event log in the database: entries written in the history's batches, the newest read
// back at start (the log's sequence numbers go on from there), and queries by app, kind and time.
import { EVENT_KINDS, type EventKind } from '../../common/history.js';
import { AppIdSchema, type EventLogEntry } from '../../common/model.js';
import { RESOURCES, type Resource } from '../../common/resources.js';
import type { Db } from './sqlite.js';

/** What the event log is filtered by (the contract's getEvents, parsed). */
export interface EventFilter {
  appId?: string;
  kinds?: readonly EventKind[];
  /** [from, to), ms since the epoch. */
  from?: number;
  to?: number;
  /** Only entries older than this one (paging back). */
  beforeSeq?: number;
  /** The newest `limit` entries that match. */
  limit: number;
}

type Row = { seq: number; t: number; kind: string; app: string | null; resource: string | null; message: string };

export class EventStore {
  private readonly insert;

  constructor(private readonly db: Db) {
    this.insert = db.prepare('INSERT OR REPLACE INTO events (seq, t, kind, app, resource, message) VALUES (?, ?, ?, ?, ?, ?)');
  }

  /** Writes entries (call inside the caller's transaction). */
  write(entries: Iterable<EventLogEntry>): void {
    for (const e of entries) this.insert.run(e.seq, e.t, e.kind, e.appId, e.resource, e.message);
  }

  /** The matching entries, oldest first. */
  query(f: EventFilter): EventLogEntry[] {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, ...values: unknown[]) => {
      where.push(sql);
      params.push(...values);
    };
    if (f.appId !== undefined) add('app = ?', f.appId);
    if (f.kinds) add(`kind IN (${f.kinds.map(() => '?').join(', ')})`, ...f.kinds);
    if (f.from !== undefined) add('t >= ?', f.from);
    if (f.to !== undefined) add('t < ?', f.to);
    if (f.beforeSeq !== undefined) add('seq < ?', f.beforeSeq);
    const sql = `SELECT seq, t, kind, app, resource, message FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    return entriesOf(this.db.prepare(sql).all(...params, f.limit) as Row[]).reverse();
  }

  maxSeq(): number {
    return (this.db.prepare('SELECT MAX(seq) AS seq FROM events').get() as { seq: number | null }).seq ?? 0;
  }
}

/** Rows as entries; a row that is not one (a file edited by hand) is left out. */
function entriesOf(rows: Row[]): EventLogEntry[] {
  const out: EventLogEntry[] = [];
  for (const r of rows) {
    if (!(EVENT_KINDS as readonly string[]).includes(r.kind)) continue;
    if (r.resource !== null && !(RESOURCES as readonly string[]).includes(r.resource)) continue;
    if (r.app !== null && !AppIdSchema.safeParse(r.app).success) continue;
    if (!Number.isSafeInteger(r.seq) || !Number.isFinite(r.t) || typeof r.message !== 'string') continue;
    out.push({ seq: r.seq, t: r.t, kind: r.kind as EventKind, appId: r.app, resource: r.resource as Resource | null, message: r.message });
  }
  return out;
}

/** The same filter over entries in memory (when there is no database). */
export function filterEntries(entries: readonly EventLogEntry[], f: EventFilter): EventLogEntry[] {
  const out = entries.filter(
    (e) =>
      (f.appId === undefined || e.appId === f.appId) &&
      (!f.kinds || f.kinds.includes(e.kind)) &&
      (f.from === undefined || e.t >= f.from) &&
      (f.to === undefined || e.t < f.to) &&
      (f.beforeSeq === undefined || e.seq < f.beforeSeq),
  );
  return out.slice(Math.max(0, out.length - f.limit));
}
