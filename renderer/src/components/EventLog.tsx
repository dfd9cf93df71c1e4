// The event log: limit hits, held calls, memory denials, crashes, exits, with times.
// Newest first; filter by kind, app and time. The filters are asked of the engine's history
// database (kept across restarts), and the entries that arrived since are added live; an
// engine without a database leaves the entries of this run, filtered here.
import { memo, useEffect, useMemo, useState } from 'react';
import type { EventKind } from '../../../electron/common/history.js';
import type { EventLogEntry } from '../../../electron/common/model.js';
import { bridge } from '../bridge/index.js';
import { useStore } from '../store/index.js';
import { formatTime, RESOURCE_LABELS } from '../lib/units.js';
import { Empty } from './EmptyState.js';

const KIND_LABELS: Record<EventKind, string> = {
  limitHit: 'Limit hit',
  held: 'Held',
  memDenied: 'Memory denied',
  crash: 'Crash',
  exit: 'Exit',
  start: 'Start',
  info: 'Info',
  warning: 'Warning',
  error: 'Error',
  quota: 'Quota',
};
const GROUPS: Array<{ id: string; label: string; kinds: EventKind[] }> = [
  { id: 'limits', label: 'Limit hits & held', kinds: ['limitHit', 'held', 'quota'] },
  { id: 'mem', label: 'Memory denials', kinds: ['memDenied'] },
  { id: 'crashes', label: 'Crashes & exits', kinds: ['crash', 'exit', 'error'] },
  { id: 'other', label: 'Other', kinds: ['start', 'info', 'warning'] },
];
const TIME_FILTERS: Array<{ id: string; label: string; ms: number | null }> = [
  { id: 'all', label: 'All kept', ms: null },
  { id: '1h', label: 'Last hour', ms: 3_600_000 },
  { id: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
];
const MAX_SHOWN = 500;
const SEVERITY: Record<EventKind, 'bad' | 'warn' | 'info'> = {
  limitHit: 'warn', held: 'warn', memDenied: 'bad', crash: 'bad', error: 'bad', exit: 'info', start: 'info', info: 'info', warning: 'warn', quota: 'warn',
};

const Row = memo(function Row({ entry, appName }: { entry: EventLogEntry; appName: string | null }) {
  return (
    <li className="log-row" data-kind={entry.kind}>
      <time className="log-row__time" dateTime={new Date(entry.t).toISOString()}>
        {formatTime(entry.t)}
      </time>
      <span className={`badge badge--${SEVERITY[entry.kind]}`}>{KIND_LABELS[entry.kind] ?? entry.kind}</span>
      <span className="log-row__app">{appName ?? '—'}</span>
      <span className="log-row__res">{entry.resource ? RESOURCE_LABELS[entry.resource] : ''}</span>
      <span className="log-row__msg">{entry.message}</span>
    </li>
  );
});

function useAppNames(): Record<string, string> {
  const apps = useStore((s) => s.apps);
  return useMemo(() => Object.fromEntries(Object.entries(apps).map(([id, a]) => [id, a.definition.name])), [apps]);
}

export function RecentEvents({ limit }: { limit: number }) {
  const events = useStore((s) => s.events);
  const names = useAppNames();
  const setView = useStore((s) => s.setView);
  // The overview lists what needs the owner's eye; routine "info" lines stay in the full log.
  const recent = useMemo(() => {
    const out: EventLogEntry[] = [];
    for (let i = events.length - 1; i >= 0 && out.length < limit; i--) if (events[i]!.kind !== 'info') out.push(events[i]!);
    return out;
  }, [events, limit]);
  if (recent.length === 0) return <Empty title="Nothing to report yet." />;
  return (
    <div className="card">
      <ol className="log" aria-label="Recent events">
        {recent.map((e) => (
          <Row key={e.seq} entry={e} appName={e.appId ? (names[e.appId] ?? e.appId) : null} />
        ))}
      </ol>
      <button type="button" className="btn btn--link" onClick={() => setView('events')}>
        All events
      </button>
    </div>
  );
}

/** The entries the filters select: the database's answer, then what arrived live since. */
function useFilteredEvents(kinds: readonly EventKind[], app: string, sinceMs: number | null): EventLogEntry[] {
  const events = useStore((s) => s.events);
  const key = JSON.stringify([kinds, app, sinceMs]);
  const [stored, setStored] = useState<{ key: string; entries: EventLogEntry[] } | null>(null);
  useEffect(() => {
    let live = true;
    if (kinds.length === 0) setStored({ key, entries: [] });
    else {
      const filter = { limit: MAX_SHOWN, kinds: [...kinds], ...(app ? { appId: app } : {}), ...(sinceMs ? { from: Date.now() - sinceMs } : {}) };
      bridge()
        .events(filter)
        .then(
          (entries) => live && setStored({ key, entries }),
          () => live && setStored(null),
        );
    }
    return () => {
      live = false;
    };
  }, [key]);
  return useMemo(() => {
    const from = sinceMs ? Date.now() - sinceMs : -Infinity;
    const base = stored?.key === key ? stored.entries : [];
    const after = base.length ? base[base.length - 1]!.seq : -1;
    const out: EventLogEntry[] = [];
    for (let i = events.length - 1; i >= 0 && out.length < MAX_SHOWN; i--) {
      const e = events[i]!;
      if (e.seq <= after) break;
      if (kinds.includes(e.kind) && (!app || e.appId === app) && e.t >= from) out.push(e);
    }
    for (let i = base.length - 1; i >= 0 && out.length < MAX_SHOWN; i--) out.push(base[i]!);
    return out;
  }, [events, stored, key]);
}

export function EventLog() {
  const events = useStore((s) => s.events);
  const appIds = useStore((s) => s.appIds);
  const names = useAppNames();
  const [hidden, setHidden] = useState<Set<string>>(() => new Set());
  const [app, setApp] = useState('');
  const [since, setSince] = useState('all');
  const kinds = useMemo(() => GROUPS.filter((g) => !hidden.has(g.id)).flatMap((g) => g.kinds), [hidden]);
  const shown = useFilteredEvents(kinds, app, TIME_FILTERS.find((f) => f.id === since)?.ms ?? null);
  const filtered = hidden.size > 0 || app !== '' || since !== 'all';
  return (
    <div className="view">
      <section className="section" aria-labelledby="log-title">
        <div className="section__head">
          <div>
            <h2 id="log-title">Events</h2>
            <p className="section__sub">What the engine did and refused: limit hits, held calls, memory denials, crashes. Newest first; kept a year, across restarts.</p>
          </div>
          <div className="filters">
            <div className="chips" role="group" aria-label="Kinds shown">
              {GROUPS.map((g) => (
                <button
                  key={g.id}
                  type="button"
                  className={`chip${hidden.has(g.id) ? '' : ' is-on'}`}
                  aria-pressed={!hidden.has(g.id)}
                  onClick={() =>
                    setHidden((h) => {
                      const next = new Set(h);
                      if (next.has(g.id)) next.delete(g.id);
                      else next.add(g.id);
                      return next;
                    })
                  }
                >
                  {g.label}
                </button>
              ))}
            </div>
            <label className="field field--inline">
              <span>When</span>
              <select value={since} onChange={(e) => setSince(e.currentTarget.value)} data-testid="event-since">
                {TIME_FILTERS.map((f) => (
                  <option key={f.id} value={f.id}>
                    {f.label}
                  </option>
                ))}
              </select>
            </label>
            <label className="field field--inline">
              <span>App</span>
              <select value={app} onChange={(e) => setApp(e.currentTarget.value)} data-testid="event-app">
                <option value="">All apps</option>
                {appIds.map((id) => (
                  <option key={id} value={id}>
                    {names[id] ?? id}
                  </option>
                ))}
              </select>
            </label>
          </div>
        </div>
        {shown.length === 0 ? (
          <Empty title={!filtered && events.length === 0 ? 'No events yet.' : 'No events match the filters.'}>
            {!filtered && events.length === 0 && <p>Limit hits, held calls, memory denials and crashes will be listed here with their times.</p>}
          </Empty>
        ) : (
          <div className="card">
            <ol className="log log--full" aria-label="Event log" data-testid="event-log">
              {shown.map((e) => (
                <Row key={e.seq} entry={e} appName={e.appId ? (names[e.appId] ?? e.appId) : null} />
              ))}
            </ol>
          </div>
        )}
      </section>
    </div>
  );
}
