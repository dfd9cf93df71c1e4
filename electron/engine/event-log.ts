// The owner-visible event log (limit hits, denials, starts, exits, crashes): a
// bounded ring with sequence numbers so a UI can ask for what it missed; and the
// digest that keeps an app's child processes from flooding it.
import type { EventKind } from '../common/history.js';
import type { AppId, EventLogEntry } from '../common/model.js';
import type { Resource } from '../common/resources.js';
import { childStartsText } from '../common/event-text.js';

export class EventLog {
  private entries: EventLogEntry[] = [];
  private seq = 0;

  constructor(
    private readonly onEntry: (entry: EventLogEntry) => void,
    /** ms since the epoch: the time of an entry. */
    private readonly now: () => number = Date.now,
    private readonly capacity = 2000,
  ) {}

  add(kind: EventKind, message: string, appId: AppId | null = null, resource: Resource | null = null): EventLogEntry {
    const entry: EventLogEntry = { seq: ++this.seq, t: this.now(), kind, appId, resource, message };
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
    this.onEntry(entry);
    return entry;
  }

  /** The entries kept from earlier runs: new ones are numbered after `maxSeq`. */
  restore(entries: readonly EventLogEntry[], maxSeq: number): void {
    this.entries = [...entries.slice(Math.max(0, entries.length - this.capacity)), ...this.entries];
    this.seq = Math.max(this.seq, maxSeq);
  }

  since(seq: number): EventLogEntry[] {
    return this.entries.filter((e) => e.seq > seq);
  }
}

/** Rate-limits repeated entries of the same key (e.g. limitHit per app and resource). */
export class Throttle {
  private last = new Map<string, number>();
  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}
  allow(key: string, nowMs = this.now()): boolean {
    const t = this.last.get(key);
    if (t !== undefined && nowMs - t < this.intervalMs) return false;
    this.last.set(key, nowMs);
    return true;
  }
}

/** Cancels a scheduled call. */
type Cancel = () => void;
const realSchedule = (fn: () => void, ms: number): Cancel => {
  const timer = setTimeout(fn, ms);
  timer.unref?.();
  return () => clearTimeout(timer);
};

/**
 * Folds the child processes an app starts (every exec in its tree but its own) into few
 * log lines: the burst at launch in one line a few seconds after the first, then at most
 * one line per period while more start, and what is pending when the app ends. A shell
 * loop that runs `date` every second is then one line every ten minutes, not 600.
 */
export class ChildStartDigest {
  private readonly apps = new Map<string, { name: string; counts: Map<string, number>; openedAt: number; launched: boolean; cancel: Cancel | null }>();

  constructor(
    private readonly write: (appId: string, text: string) => void,
    private readonly timing: { launchMs: number; periodMs: number } = { launchMs: 5_000, periodMs: 600_000 },
    private readonly schedule: (fn: () => void, ms: number) => Cancel = realSchedule,
    private readonly now: () => number = Date.now,
  ) {}

  /** A child process of `appId` ran the program `comm`. */
  note(appId: string, appName: string, comm: string): void {
    let app = this.apps.get(appId);
    if (!app) {
      app = { name: appName, counts: new Map(), openedAt: 0, launched: false, cancel: null };
      this.apps.set(appId, app);
    }
    app.name = appName;
    if (app.counts.size === 0) {
      app.openedAt = this.now();
      app.cancel = this.schedule(() => this.flush(appId), app.launched ? this.timing.periodMs : this.timing.launchMs);
    }
    app.counts.set(comm, (app.counts.get(comm) ?? 0) + 1);
  }

  /** The app's tree is gone: write what is pending; its next start is a new launch. */
  end(appId: string): void {
    this.flush(appId);
    this.apps.delete(appId);
  }

  private flush(appId: string): void {
    const app = this.apps.get(appId);
    if (!app || app.counts.size === 0) return;
    app.cancel?.();
    app.cancel = null;
    const when = app.launched ? `in the last ${Math.max(1, Math.ceil((this.now() - app.openedAt) / 60_000))} min` : 'at launch';
    this.write(appId, childStartsText(app.name, app.counts, when));
    app.counts = new Map();
    app.launched = true;
  }
}
