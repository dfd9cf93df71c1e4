// The owner-visible event log (limit hits, denials, starts, exits, crashes): a
// bounded ring with sequence numbers so a UI can ask for what it missed.
import type { AppId, EventKind, EventLogEntry } from '../common/model.js';
import type { Resource } from '../common/resources.js';

export class EventLog {
  private entries: EventLogEntry[] = [];
  private seq = 0;

  constructor(
    private readonly onEntry: (entry: EventLogEntry) => void,
    private readonly capacity = 2000,
  ) {}

  add(kind: EventKind, message: string, appId: AppId | null = null, resource: Resource | null = null): EventLogEntry {
    const entry: EventLogEntry = { seq: ++this.seq, t: Date.now(), kind, appId, resource, message };
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
    this.onEntry(entry);
    return entry;
  }

  since(seq: number): EventLogEntry[] {
    return this.entries.filter((e) => e.seq > seq);
  }
}

/** Rate-limits repeated entries of the same key (e.g. limitHit per app and resource). */
export class Throttle {
  private last = new Map<string, number>();
  constructor(private readonly intervalMs: number) {}
  allow(key: string, nowMs = Date.now()): boolean {
    const t = this.last.get(key);
    if (t !== undefined && nowMs - t < this.intervalMs) return false;
    this.last.set(key, nowMs);
    return true;
  }
}
