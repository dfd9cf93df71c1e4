// The engine's long history: usage and the event log in a SQLite file (history.db in the
// state dir), fed by the contract's own `snapshot` and `log` events, answering getUsage and
// getEvents. The live five minutes stay in memory (snapshots/); everything longer is read here.
import path from 'node:path';
import { CommandError, type ParsedCommandArgs } from '../../common/contract.js';
import type { HistoryStatus, UsageHistory } from '../../common/history.js';
import type { EventLogEntry } from '../../common/model.js';
import type { EngineOptions } from '../api.js';
import type { EngineContext } from '../context.js';
import { defaultStateDir } from '../server/endpoint.js';
import { filterEntries } from './event-store.js';
import { HistoryRecorder } from './recorder.js';

export const HISTORY_FILE = 'history.db';
/** Entries of the log read back at start: the dashboard's log at its first connection. */
const RESTORED_ENTRIES = 2000;

/** history.db in the dir given; else in the config dir given (tests, one dir per engine); else the user's state dir. */
export function historyFile(options: EngineOptions, configDir: string): string | null {
  if (options.historyDir === null) return null;
  return path.join(path.resolve(options.historyDir ?? (options.configDir ? configDir : defaultStateDir())), HISTORY_FILE);
}

export class History {
  private readonly recorder: HistoryRecorder;
  private offs: Array<() => void> = [];

  constructor(
    private readonly ctx: EngineContext,
    file: string | null,
  ) {
    this.recorder = new HistoryRecorder({
      clock: ctx.clock,
      file,
      report: (message) => {
        ctx.log.add('error', message);
        ctx.stateChanged();
      },
    });
  }

  /** Opens the database before anything is logged, so the log goes on from where it stopped; then records. */
  start(): void {
    const { ctx, recorder } = this;
    const problems = recorder.open();
    const restored = recorder.recentEvents(RESTORED_ENTRIES);
    if (restored) ctx.log.restore(restored.entries, restored.maxSeq);
    this.offs.push(
      ctx.events.on('snapshot', (s) => recorder.record(s)),
      ctx.events.on('log', (e) => recorder.recordEvent(e)),
    );
    for (const problem of problems) ctx.log.add('error', problem);
    recorder.startTimers();
  }

  /** Writes what is pending and closes the file. */
  stop(): void {
    for (const off of this.offs.splice(0)) off();
    this.recorder.close();
  }

  get status(): HistoryStatus {
    return this.recorder.status;
  }

  usage({ range, appId }: ParsedCommandArgs<'getUsage'>): UsageHistory {
    const history = this.recorder.usage(range, appId ?? null);
    if (!history) throw new CommandError('unavailable', `no usage history beyond the live view: ${this.status.problem ?? 'the history database is not open'}`);
    return history;
  }

  events(filter: ParsedCommandArgs<'getEvents'>): EventLogEntry[] {
    return this.recorder.events(filter) ?? filterEntries(this.ctx.log.since(0), filter);
  }
}
