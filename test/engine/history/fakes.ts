// What the history tests share: a virtual clock that also tells the wall time, snapshots
// built from a few figures, and a second connection to the database to look at its tables.
import type { EngineClock } from '../../../electron/engine/clock.js';
import type { AppState, ResourceFigures, Snapshot } from '../../../electron/common/model.js';
import { RESOURCES, type Resource } from '../../../electron/common/resources.js';
import { openDatabase, type Db } from '../../../electron/engine/history/sqlite.js';
import { VirtualClock } from '../schedulers/fakes.js';

/** Midnight UTC: buckets of every tier start at round times. */
export const EPOCH = Date.UTC(2026, 0, 5);

export class WallClock extends VirtualClock implements EngineClock {
  wallNow(): number {
    return EPOCH + this.now();
  }
}

function figures(values: Partial<Record<Resource, number>>): ResourceFigures {
  return Object.fromEntries(
    RESOURCES.map((r) => [r, { nominal: 0, cap: null, recent: values[r] ?? 0, sinceStart: 0, lag: 0, held: 0, used: 0, denials: 0 }]),
  ) as ResourceFigures;
}

/** A snapshot at `t` of these apps (state running unless said), the total their sum. */
export function snapshot(t: number, apps: Record<string, Partial<Record<Resource, number>> & { state?: AppState }>, caps: Partial<Record<Resource, number | null>> = {}): Snapshot {
  const total: Partial<Record<Resource, number>> = {};
  const list = Object.entries(apps).map(([id, { state, ...values }]) => {
    if ((state ?? 'running') !== 'stopped') for (const r of RESOURCES) total[r] = (total[r] ?? 0) + (values[r] ?? 0);
    return { id, state: state ?? 'running', resources: figures(values) };
  });
  return {
    t,
    profile: 'inUse',
    limits: { cpu: null, netUp: null, netDown: null, disk: null, mem: null, ...caps },
    capacity: { netUp: null, netDown: null, disk: null },
    total: figures(total),
    apps: list,
  };
}

/** Another connection to the file (WAL: it reads what the recorder committed). */
export function peek(file: string): Db {
  const { db, problem } = openDatabase(file, Date.now());
  if (!db) throw new Error(`cannot open ${file}: ${problem}`);
  return db;
}
