// The history's writer: each snapshot becomes one row per live app (plus the total and the
// caps) for its wall-clock second, each log entry a row of the event log; both are written
// once a second in one transaction (a kill -9 loses at most that second), rolled up once a
// minute. A database found damaged, at start or while writing, is kept aside and replaced;
// with no database at all the engine runs on and the status says why.
import { type HistoryRange, type HistoryStatus, type UsageHistory } from '../../common/history.js';
import { LIVE_APP_STATES, type EventLogEntry, type Snapshot } from '../../common/model.js';
import { RESOURCES, type Resource } from '../../common/resources.js';
import type { EngineClock, TimerHandle } from '../clock.js';
import { EventStore, type EventFilter } from './event-store.js';
import { CAPS_KEY, TOTAL_KEY } from './schema.js';
import { isCorruption, keepAside, openDatabase, type Db } from './sqlite.js';
import { UsageStore, type SecondRow } from './usage-store.js';

export interface RecorderOptions {
  clock: EngineClock;
  /** The database file; null: none (the history stays in memory). */
  file: string | null;
  /** Said to the owner (the event log): a damaged database, a failed write. */
  report: (message: string) => void;
  flushMs?: number;
  rollupMs?: number;
  /** Retention per tier, for tests. */
  keepMs?: readonly number[];
}

const finite = (v: number | null): number | null => (v === null || !Number.isFinite(v) ? null : Math.max(0, v));

export class HistoryRecorder {
  private db: Db | null = null;
  private usageStore: UsageStore | null = null;
  private eventStore: EventStore | null = null;
  private rows = new Map<string, SecondRow>();
  private entries: EventLogEntry[] = [];
  private timers: TimerHandle[] = [];
  private closed = false;
  private state: HistoryStatus;

  constructor(private readonly opts: RecorderOptions) {
    this.state = { file: opts.file, ok: false, problem: opts.file ? null : 'no history database for this run', keptAside: null };
  }

  get status(): HistoryStatus {
    return { ...this.state };
  }

  get persistent(): boolean {
    return this.db !== null;
  }

  /**
   * Opens the database; what went wrong stays in the status and is returned, for the caller
   * to log once the log goes on from the database's numbers.
   */
  open(): string[] {
    if (!this.opts.file) return [];
    const opened = openDatabase(this.opts.file, this.opts.clock.wallNow());
    this.attach(opened.db);
    this.state = { file: this.opts.file, ok: opened.db !== null, problem: opened.problem, keptAside: opened.keptAside };
    if (this.db) this.rollup();
    if (opened.keptAside) return [`${opened.problem}: it was kept as ${opened.keptAside} and ${this.db ? 'a new one was started' : 'no new one could be made'}`];
    return opened.problem ? [`history is not kept across restarts: ${opened.problem}`] : [];
  }

  /** Flushes every second and rolls up every minute until close(). */
  startTimers(): void {
    const every = (ms: number, fn: () => void) => {
      const tick = () => {
        if (this.closed) return;
        fn();
        this.timers.push(this.opts.clock.setTimeout(tick, ms, { unref: true }));
      };
      this.timers.push(this.opts.clock.setTimeout(tick, ms, { unref: true }));
    };
    every(this.opts.flushMs ?? 1000, () => this.flush());
    every(this.opts.rollupMs ?? 60_000, () => this.rollup());
  }

  /** The newest entries of the log and the highest sequence number written, for the log to go on from. */
  recentEvents(limit: number): { entries: EventLogEntry[]; maxSeq: number } | null {
    if (!this.eventStore) return null;
    return { entries: this.eventStore.query({ limit }), maxSeq: this.eventStore.maxSeq() };
  }

  record(s: Snapshot): void {
    if (!this.db) return;
    const t = Math.floor(s.t / 1000) * 1000;
    const put = (app: string, values: Record<Resource, number | null>) => this.rows.set(`${t} ${app}`, { t, app, values });
    const recent = (f: Snapshot['total']) => Object.fromEntries(RESOURCES.map((r) => [r, finite(f[r].recent) ?? 0])) as Record<Resource, number>;
    for (const app of s.apps) if (LIVE_APP_STATES.includes(app.state)) put(app.id, recent(app.resources));
    put(TOTAL_KEY, recent(s.total));
    put(CAPS_KEY, Object.fromEntries(RESOURCES.map((r) => [r, finite(s.limits[r])])) as Record<Resource, number | null>);
  }

  recordEvent(e: EventLogEntry): void {
    if (this.db) this.entries.push(e);
  }

  /** Writes what was recorded since the last flush, in one transaction. */
  flush(): void {
    if (!this.db || (this.rows.size === 0 && this.entries.length === 0)) return;
    const rows = [...this.rows.values()];
    const entries = this.entries;
    this.rows = new Map();
    this.entries = [];
    this.guard('writing the history', () =>
      this.db!.transaction(() => {
        this.usageStore!.write(rows);
        this.eventStore!.write(entries);
      })(),
    );
  }

  rollup(): void {
    if (!this.db) return;
    this.flush();
    this.guard('rolling up the history', () => this.usageStore?.rollup(this.opts.clock.wallNow()));
  }

  usage(range: HistoryRange, appId: string | null): UsageHistory | null {
    if (!this.db) return null;
    this.flush();
    const now = this.opts.clock.wallNow();
    const read = this.guard('reading the history', () => this.usageStore!.range(range, appId, now));
    return read ? { range, appId, to: now, persistent: true, ...read } : null;
  }

  events(filter: EventFilter): EventLogEntry[] | null {
    if (!this.db) return null;
    this.flush();
    return this.guard('reading the event log', () => this.eventStore!.query(filter)) ?? null;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    for (const t of this.timers) t.cancel();
    this.db?.close();
    this.attach(null);
  }

  private attach(db: Db | null): void {
    this.db = db;
    this.usageStore = db ? new UsageStore(db, this.opts.keepMs) : null;
    this.eventStore = db ? new EventStore(db) : null;
  }

  /** Runs a database step; a damaged file is kept aside and replaced, any other failure said once. */
  private guard<T>(what: string, fn: () => T): T | undefined {
    try {
      const result = fn();
      if (!this.state.ok && this.db) this.state = { ...this.state, ok: true, problem: this.state.keptAside ? this.state.problem : null };
      return result;
    } catch (error) {
      const message = `${what} failed: ${(error as Error).message}`;
      if (isCorruption(error)) this.replace(message);
      else if (this.state.ok) {
        this.state = { ...this.state, ok: false, problem: message };
        this.opts.report(message);
      }
      return undefined;
    }
  }

  private replace(reason: string): void {
    const file = this.opts.file!;
    this.db?.close();
    this.attach(null);
    let aside: string | null = null;
    try {
      aside = keepAside(file, this.opts.clock.wallNow());
    } catch (error) {
      this.state = { ...this.state, ok: false, problem: `${reason}; the file could not be moved aside: ${(error as Error).message}` };
      this.opts.report(this.state.problem!);
      return;
    }
    this.open();
    this.state = { ...this.state, keptAside: aside, problem: `the history database was damaged (${reason})` };
    this.opts.report(`${this.state.problem}: it was kept as ${aside} and ${this.db ? 'a new one was started' : 'no new one could be made'}`);
  }
}

