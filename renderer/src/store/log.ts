// Event log: limit hits, held calls, memory denials, crashes, exits, in order of seq.
// Written by the bridge from getEventLog and the log event.
import type { EventLogEntry } from '../../../electron/common/model.js';
import type { Slice } from './types.js';

export const MAX_LOG = 2000;

export interface LogSlice {
  events: EventLogEntry[];
  lastSeq: number;
  addLogEntries(entries: EventLogEntry[]): void;
}

export const createLogSlice: Slice<LogSlice> = (set) => ({
  events: [],
  lastSeq: 0,
  addLogEntries(entries) {
    set((s) => {
      const fresh = entries.filter((e) => e.seq > s.lastSeq).sort((a, b) => a.seq - b.seq);
      if (fresh.length === 0) return {};
      const events = s.events.concat(fresh);
      return { events: events.length > MAX_LOG ? events.slice(events.length - MAX_LOG) : events, lastSeq: fresh[fresh.length - 1]!.seq };
    });
  },
});
