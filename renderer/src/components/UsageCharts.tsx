// Usage over a range picked above the chart — the live 5 minutes from the snapshots in
// memory, 1 hour, 24 hours or 30 days from the engine's history database — one resource at
// a time (picked above the chart, each with its current total): each app's usage stacked in
// its colour, the busiest eight on their own and the rest as one grey band, the cap as a
// dashed step line; and the range as CSV. No animation, ≤ 360 points per series, recharts
// props kept stable: smooth at 2 Hz with 20 apps.
import { memo, useCallback, useEffect, useMemo, useState, type KeyboardEvent } from 'react';
import { Area, ComposedChart, CartesianGrid, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { csvFileName, HISTORY_RANGES, RANGE_LABELS, usageCsv, type HistoryRange, type UsageHistory } from '../../../electron/common/history.js';
import { bridge, errorMessage } from '../bridge/index.js';
import { useStore } from '../store/index.js';
import { busiestApps, CAP_KEY, chartRows, niceTicks, OTHER_KEY, type ChartRow } from '../lib/chart.js';
import { busiestInHistory, rangeAxis, usageRows } from '../lib/historyChart.js';
import { appColor } from '../lib/colors.js';
import { formatAxis, formatValue, RESOURCE_LABELS, RESOURCES, type Resource } from '../lib/units.js';

// Props handed to recharts are constants or memoised: a changed prop object makes
// recharts re-register the component in its store and recompute every series.
const AXES: Record<HistoryRange, ReturnType<typeof rangeAxis>> = {
  '5m': rangeAxis('5m'),
  '1h': rangeAxis('1h'),
  '24h': rangeAxis('24h'),
  '30d': rangeAxis('30d'),
};
/** How often a longer range is read again while shown. */
const REFRESH_MS: Record<HistoryRange, number> = { '5m': 0, '1h': 10_000, '24h': 60_000, '30d': 300_000 };
const TICK = { fill: 'var(--muted)', fontSize: 11 };
const MARGIN = { top: 8, right: 12, bottom: 0, left: 4 };
const TOOLTIP_STYLE = { background: 'var(--surface)', border: '1px solid var(--border)', borderRadius: 6, fontSize: 12 };
const formatLabel = (_: unknown, payload: ReadonlyArray<{ payload?: { t?: number } }>) => {
  const t = payload?.[0]?.payload?.t;
  return typeof t === 'number' ? new Date(t).toLocaleString() : '';
};
const OTHER_COLOR = '#9aa5b1';

interface FigureProps {
  resource: Resource;
  range: HistoryRange;
  rows: ChartRow[];
  shownIds: readonly string[];
  grouped: boolean;
  /** The cap and the total now (live) or at the range's end. */
  cap: number | null;
  total: number | undefined;
  t: number | undefined;
  /** Live snapshots are points joined by lines; buckets of a range are steps. */
  curve: 'linear' | 'stepAfter';
}

/** One resource's chart over one range: legend, stacked apps, the cap. */
const ChartFigure = memo(function ChartFigure({ resource, range, rows, shownIds, grouped, cap, total, t, curve }: FigureProps) {
  const appIds = useStore((s) => s.appIds);
  const apps = useStore((s) => s.apps);
  // The peak of the stacked usage, and the highest cap, over the window.
  const [peak, capPeak] = useMemo(() => {
    let usage = 0;
    let capMax = 0;
    for (const r of rows) {
      let sum = 0;
      for (const k in r) if (k !== 't' && k !== 'x' && k !== CAP_KEY) sum += (r[k] as number | null) ?? 0;
      if (sum > usage) usage = sum;
      const c = r[CAP_KEY];
      if (typeof c === 'number' && c > capMax) capMax = c;
    }
    return [usage, capMax];
  }, [rows]);
  // Scale to the cap, unless the cap is so far above the usage that the usage would be a
  // flat line at the bottom: then scale to the usage and say the cap is above.
  const floor = resource === 'cpu' ? 0.05 : resource === 'mem' ? 64e6 : 64e3;
  const capShown = capPeak > 0 && capPeak <= Math.max(peak, floor) * 6;
  const wanted = Math.max(floor, (capShown ? Math.max(peak, capPeak) : peak) * 1.05);
  const axis = niceTicks(resource === 'cpu' ? Math.min(1, wanted) : wanted);
  // Same top, same arrays: recharts sees no change.
  const yDomain = useMemo<[number, number]>(() => [0, axis.top], [axis.top]);
  const yTicks = useMemo(() => axis.ticks, [axis.top]);
  const formatY = useCallback((v: number) => formatAxis(resource, v), [resource]);
  const formatTooltip = useCallback(
    (v: unknown, name: unknown) =>
      [formatValue(resource, Number(v)), name === CAP_KEY ? 'Cap' : name === OTHER_KEY ? 'Other apps' : (apps[String(name)]?.definition.name ?? String(name))] as [string, string],
    [resource, apps],
  );
  const x = AXES[range];
  return (
    <figure
      className="card chart"
      data-testid={`chart-${resource}`}
      data-range={range}
      data-points={rows.length}
      data-peak={peak}
      data-total={total ?? ''}
      data-cap={cap ?? ''}
      data-t={t ?? ''}
      aria-label={`${RESOURCE_LABELS[resource]} over the last ${RANGE_LABELS[range]}: ${range === '5m' ? 'now' : 'at the end'} ${formatValue(resource, total)} of ${formatValue(resource, cap)}`}
    >
      <figcaption className="chart__caption">
        <span className="chart__legend">
          {shownIds.map((id) => (
            <span key={id} className="legend-item">
              <span className="swatch" style={{ backgroundColor: appColor(appIds.indexOf(id)) }} aria-hidden="true" />
              {apps[id]?.definition.name ?? id}
            </span>
          ))}
          {grouped && (
            <span className="legend-item">
              <span className="swatch" style={{ backgroundColor: OTHER_COLOR }} aria-hidden="true" />
              {appIds.length > shownIds.length ? `${appIds.length - shownIds.length} other apps` : 'other apps'}
            </span>
          )}
          <span className="legend-item legend-item--cap">
            <span className="legend-cap" aria-hidden="true" />
            cap{cap !== null && !capShown ? ` ${formatValue(resource, cap)} (above the chart)` : ''}
          </span>
        </span>
      </figcaption>
      <div className="chart__plot">
        <ResponsiveContainer width="100%" height="100%" debounce={50}>
          <ComposedChart data={rows} margin={MARGIN}>
            <CartesianGrid stroke="var(--grid)" vertical={false} />
            <XAxis dataKey="x" type="number" domain={x.domain} ticks={x.ticks} tickFormatter={x.format} stroke="var(--axis)" tick={TICK} allowDataOverflow />
            <YAxis width={68} domain={yDomain} ticks={yTicks} tickFormatter={formatY} stroke="var(--axis)" tick={TICK} allowDataOverflow />
            <Tooltip isAnimationActive={false} labelFormatter={formatLabel} formatter={formatTooltip} contentStyle={TOOLTIP_STYLE} />
            {shownIds.map((id) => (
              <Area
                key={id}
                dataKey={id}
                name={id}
                stackId="apps"
                type={curve}
                stroke={appColor(appIds.indexOf(id))}
                fill={appColor(appIds.indexOf(id))}
                fillOpacity={0.55}
                strokeWidth={1}
                isAnimationActive={false}
                dot={false}
                activeDot={false}
              />
            ))}
            {grouped && (
              <Area dataKey={OTHER_KEY} name={OTHER_KEY} stackId="apps" type={curve} stroke={OTHER_COLOR} fill={OTHER_COLOR} fillOpacity={0.45} strokeWidth={1} isAnimationActive={false} dot={false} activeDot={false} />
            )}
            <Line dataKey={CAP_KEY} name={CAP_KEY} type="stepAfter" stroke="var(--cap)" strokeWidth={1.5} strokeDasharray="5 4" dot={false} activeDot={false} isAnimationActive={false} />
          </ComposedChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
});

/** The live five minutes, from the snapshots in the store. */
const LiveChart = memo(function LiveChart({ resource }: { resource: Resource }) {
  const history = useStore((s) => s.history);
  const appIds = useStore((s) => s.appIds);
  // Which apps get their own band changes slowly: recompute it every 10 s of history.
  const epoch = history.length ? Math.floor(history[history.length - 1]!.t / 10_000) : 0;
  const shownIds = useMemo(() => busiestApps(history, resource, appIds), [epoch, resource, appIds]);
  const grouped = shownIds.length < appIds.length;
  const shown = useMemo(() => (grouped ? new Set(shownIds) : undefined), [grouped, shownIds]);
  const rows = useMemo(() => chartRows(history, resource, undefined, shown), [history, resource, shown]);
  const last = history.length ? history[history.length - 1]! : null;
  return <ChartFigure resource={resource} range="5m" rows={rows} shownIds={shownIds} grouped={grouped} cap={last ? last.limits[resource] : null} total={last?.total[resource].recent} t={last?.t} curve="linear" />;
});

/** A longer range, from the engine's history database. */
const RangeChart = memo(function RangeChart({ resource, range, data }: { resource: Resource; range: HistoryRange; data: UsageHistory }) {
  const appIds = useStore((s) => s.appIds);
  const shownIds = useMemo(() => busiestInHistory(data, resource, appIds), [data, resource, appIds]);
  const shown = useMemo(() => new Set(shownIds), [shownIds]);
  const grouped = useMemo(() => data.points.some((p) => p.app !== null && !shown.has(p.app)), [data, shown]);
  const rows = useMemo(() => usageRows(data, resource, shown), [data, resource, shown]);
  const lastCap = data.caps.length ? data.caps[data.caps.length - 1]!.cap[resource] : null;
  const totals = data.points.filter((p) => p.app === null);
  const lastTotal = totals.length ? totals[totals.length - 1]!.avg[resource] : undefined;
  return <ChartFigure resource={resource} range={range} rows={rows} shownIds={shownIds} grouped={grouped} cap={lastCap} total={lastTotal} t={data.to} curve="stepAfter" />;
});

/** A range's history, read again every so often while it is shown. */
function useRangeHistory(range: HistoryRange): { data: UsageHistory | null; error: string | null } {
  const [state, setState] = useState<{ range: HistoryRange; data: UsageHistory | null; error: string | null }>({ range, data: null, error: null });
  useEffect(() => {
    if (range === '5m') return;
    let live = true;
    const load = () =>
      bridge()
        .usage(range)
        .then(
          (data) => live && setState({ range, data, error: null }),
          (error: unknown) => live && setState((s) => ({ range, data: s.range === range ? s.data : null, error: errorMessage(error) })),
        );
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS[range]);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [range]);
  return state.range === range ? state : { data: null, error: null };
}

/** Downloads the range as CSV (the same printer as `interceptor history --csv`). */
async function downloadCsv(range: HistoryRange): Promise<void> {
  const history = await bridge().usage(range);
  const url = URL.createObjectURL(new Blob([usageCsv(history)], { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = csvFileName(range, null, history.to);
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** One tab per resource, with its total now against its cap. */
const ResourceTab = memo(function ResourceTab({ resource, active, onPick }: { resource: Resource; active: boolean; onPick: (r: Resource) => void }) {
  const now = useStore((s) => formatValue(resource, s.latest?.total[resource].recent));
  const cap = useStore((s) => (s.latest ? formatValue(resource, s.latest.limits[resource]) : ''));
  return (
    <button
      type="button"
      role="tab"
      id={`chart-tab-${resource}`}
      aria-selected={active}
      aria-controls="chart-panel"
      tabIndex={active ? 0 : -1}
      className={`chart-tab${active ? ' is-active' : ''}`}
      onClick={() => onPick(resource)}
      data-testid={`chart-tab-${resource}`}
    >
      <span className="chart-tab__name">{RESOURCE_LABELS[resource]}</span>
      <span className="chart-tab__value">
        {now}
        <span className="muted"> / {cap}</span>
      </span>
    </button>
  );
});

export function UsageCharts() {
  const hasHistory = useStore((s) => s.history.length > 0);
  const [resource, setResource] = useState<Resource>('cpu');
  const [range, setRange] = useState<HistoryRange>('5m');
  const [exportError, setExportError] = useState<string | null>(null);
  const { data, error } = useRangeHistory(range);
  const onExport = () => {
    setExportError(null);
    downloadCsv(range).catch((e: unknown) => setExportError(errorMessage(e)));
  };
  const onKey = (e: KeyboardEvent) => {
    const i = RESOURCES.indexOf(resource);
    const next = e.key === 'ArrowRight' ? RESOURCES[(i + 1) % RESOURCES.length] : e.key === 'ArrowLeft' ? RESOURCES[(i + RESOURCES.length - 1) % RESOURCES.length] : undefined;
    if (next) {
      e.preventDefault();
      setResource(next);
      document.getElementById(`chart-tab-${next}`)?.focus();
    }
  };
  return (
    <div className="charts">
      <div className="charts__bar">
        <div className="segmented" role="radiogroup" aria-label="Range shown" data-testid="chart-ranges">
          {HISTORY_RANGES.map((r) => (
            <button key={r} type="button" role="radio" aria-checked={r === range} className={`segmented__item${r === range ? ' is-active' : ''}`} onClick={() => setRange(r)} data-testid={`range-${r}`}>
              {RANGE_LABELS[r]}
            </button>
          ))}
        </div>
        <button type="button" className="btn btn--small" onClick={onExport} data-testid="export-csv" title={`The last ${RANGE_LABELS[range]} as CSV`}>
          Export CSV
        </button>
        {exportError && <span className="muted" role="alert">Export failed: {exportError}</span>}
      </div>
      <div className="chart-tabs" role="tablist" aria-label="Resource shown" onKeyDown={onKey}>
        {RESOURCES.map((r) => (
          <ResourceTab key={r} resource={r} active={r === resource} onPick={setResource} />
        ))}
      </div>
      <div id="chart-panel" role="tabpanel" aria-labelledby={`chart-tab-${resource}`}>
        {range === '5m' ? (
          <LiveChart key={resource} resource={resource} />
        ) : data ? (
          <RangeChart key={`${resource}-${range}`} resource={resource} range={range} data={data} />
        ) : (
          <p className="muted charts__empty" data-testid="chart-status">{error ? `The ${RANGE_LABELS[range]} history is unavailable: ${error}` : 'Reading the history…'}</p>
        )}
      </div>
      {range === '5m' && !hasHistory && <p className="muted charts__empty">No figures yet: they arrive twice a second once the engine runs.</p>}
    </div>
  );
}
