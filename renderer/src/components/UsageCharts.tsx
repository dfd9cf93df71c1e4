// Live usage over the last five minutes, one resource at a time (picked above the
// chart, each with its current total): each app's usage stacked in its colour, the
// busiest eight on their own and the rest as one grey band, the cap as a dashed step
// line. No animation, 150 points per series, recharts props kept stable: smooth at
// 2 Hz with 20 apps.
import { memo, useCallback, useMemo, useState, type KeyboardEvent } from 'react';
import { Area, ComposedChart, CartesianGrid, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useStore } from '../store/index.js';
import { HISTORY_MS } from '../store/usage.js';
import { busiestApps, CAP_KEY, chartRows, niceTicks, OTHER_KEY } from '../lib/chart.js';
import { appColor } from '../lib/colors.js';
import { formatAxis, formatValue, RESOURCE_LABELS, RESOURCES, type Resource } from '../lib/units.js';

// Props handed to recharts are constants or memoised: a changed prop object makes
// recharts re-register the component in its store and recompute every series.
const X_DOMAIN: [number, number] = [-HISTORY_MS, 0];
const X_TICKS = [-300_000, -240_000, -180_000, -120_000, -60_000, 0];
const formatX = (x: number) => (x === 0 ? 'now' : `−${Math.round(-x / 60_000)} min`);
const TICK = { fill: 'var(--muted)', fontSize: 11 };
const MARGIN = { top: 8, right: 12, bottom: 0, left: 4 };
const TOOLTIP_STYLE = { background: 'var(--surface)', border: '1px solid var(--border)', borderRadius: 6, fontSize: 12 };
const formatLabel = (_: unknown, payload: ReadonlyArray<{ payload?: { t?: number } }>) => {
  const t = payload?.[0]?.payload?.t;
  return typeof t === 'number' ? new Date(t).toLocaleTimeString() : '';
};
const OTHER_COLOR = '#9aa5b1';

const ResourceChart = memo(function ResourceChart({ resource }: { resource: Resource }) {
  const history = useStore((s) => s.history);
  const appIds = useStore((s) => s.appIds);
  const apps = useStore((s) => s.apps);
  // Which apps get their own band changes slowly: recompute it every 10 s of history.
  const epoch = history.length ? Math.floor(history[history.length - 1]!.t / 10_000) : 0;
  const shownIds = useMemo(() => busiestApps(history, resource, appIds), [epoch, resource, appIds]);
  const grouped = shownIds.length < appIds.length;
  const shown = useMemo(() => (grouped ? new Set(shownIds) : undefined), [grouped, shownIds]);
  const rows = useMemo(() => chartRows(history, resource, undefined, shown), [history, resource, shown]);
  const last = history.length ? history[history.length - 1]! : null;
  const cap = last ? last.limits[resource] : null;
  const total = last ? last.total[resource].recent : undefined;
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
  return (
    <figure
      className="card chart"
      data-testid={`chart-${resource}`}
      data-total={total ?? ''}
      data-cap={cap ?? ''}
      data-t={last?.t ?? ''}
      aria-label={`${RESOURCE_LABELS[resource]} over the last 5 minutes: now ${formatValue(resource, total)} of ${formatValue(resource, cap)}`}
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
              {appIds.length - shownIds.length} other apps
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
            <XAxis dataKey="x" type="number" domain={X_DOMAIN} ticks={X_TICKS} tickFormatter={formatX} stroke="var(--axis)" tick={TICK} allowDataOverflow />
            <YAxis width={68} domain={yDomain} ticks={yTicks} tickFormatter={formatY} stroke="var(--axis)" tick={TICK} allowDataOverflow />
            <Tooltip isAnimationActive={false} labelFormatter={formatLabel} formatter={formatTooltip} contentStyle={TOOLTIP_STYLE} />
            {shownIds.map((id) => (
              <Area
                key={id}
                dataKey={id}
                name={id}
                stackId="apps"
                type="linear"
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
              <Area dataKey={OTHER_KEY} name={OTHER_KEY} stackId="apps" type="linear" stroke={OTHER_COLOR} fill={OTHER_COLOR} fillOpacity={0.45} strokeWidth={1} isAnimationActive={false} dot={false} activeDot={false} />
            )}
            <Line dataKey={CAP_KEY} name={CAP_KEY} type="stepAfter" stroke="var(--cap)" strokeWidth={1.5} strokeDasharray="5 4" dot={false} activeDot={false} isAnimationActive={false} />
          </ComposedChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
});

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
      <div className="chart-tabs" role="tablist" aria-label="Resource shown" onKeyDown={onKey}>
        {RESOURCES.map((r) => (
          <ResourceTab key={r} resource={r} active={r === resource} onPick={setResource} />
        ))}
      </div>
      <div id="chart-panel" role="tabpanel" aria-labelledby={`chart-tab-${resource}`}>
        <ResourceChart key={resource} resource={resource} />
      </div>
      {!hasHistory && <p className="muted charts__empty">No figures yet: they arrive twice a second once the engine runs.</p>}
    </div>
  );
}
