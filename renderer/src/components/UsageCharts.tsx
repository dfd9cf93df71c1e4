// Live charts, one per resource: each app's usage stacked in its colour over the
// last five minutes, the cap as a dashed step line. No animation on updates, points
// thinned to ≤ 300 per series, so 20 apps at 2 Hz stay smooth.
import { memo, useMemo } from 'react';
import { Area, ComposedChart, CartesianGrid, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useStore } from '../store/index.js';
import { HISTORY_MS } from '../store/usage.js';
import { CAP_KEY, chartRows } from '../lib/chart.js';
import { appColor } from '../lib/colors.js';
import { formatAxis, formatValue, RESOURCE_LABELS, RESOURCES, type Resource } from '../lib/units.js';

function minuteTicks(end: number): number[] {
  const ticks: number[] = [];
  for (let m = 5; m >= 0; m--) ticks.push(end - m * 60_000);
  return ticks;
}

const ResourceChart = memo(function ResourceChart({ resource }: { resource: Resource }) {
  const history = useStore((s) => s.history);
  const appIds = useStore((s) => s.appIds);
  const apps = useStore((s) => s.apps);
  const rows = useMemo(() => chartRows(history, resource), [history, resource]);
  const last = history.length ? history[history.length - 1]! : null;
  const end = last ? last.t : Date.now();
  const cap = last ? last.limits[resource] : null;
  const total = last ? last.total[resource].recent : undefined;
  // The peak of the stacked usage, and the highest cap, over the window.
  const [peak, capPeak] = useMemo(() => {
    let usage = 0;
    let capMax = 0;
    for (const r of rows) {
      let sum = 0;
      for (const id of appIds) sum += (r[id] as number | undefined) ?? 0;
      if (sum > usage) usage = sum;
      const c = r[CAP_KEY];
      if (typeof c === 'number' && c > capMax) capMax = c;
    }
    return [usage, capMax];
  }, [rows, appIds]);
  // Scale to the cap, unless the cap is so far above the usage that the usage would be a
  // flat line at the bottom: then scale to the usage and say the cap is above.
  const floor = resource === 'cpu' ? 0.05 : resource === 'mem' ? 64e6 : 64e3;
  const capShown = capPeak > 0 && capPeak <= Math.max(peak, floor) * 6;
  const top = Math.max(floor, (capShown ? Math.max(peak, capPeak) : peak) * 1.15);
  const yTop = resource === 'cpu' ? Math.min(1, top) : top;
  return (
    <figure
      className="card chart"
      data-testid={`chart-${resource}`}
      data-total={total ?? ''}
      data-cap={cap ?? ''}
      aria-label={`${RESOURCE_LABELS[resource]} over the last 5 minutes: now ${formatValue(resource, total)} of ${formatValue(resource, cap)}`}
    >
      <figcaption className="chart__caption">
        <span className="chart__title">{RESOURCE_LABELS[resource]}</span>
        <span className="chart__now">
          {formatValue(resource, total)} <span className="muted">/ {formatValue(resource, cap)}</span>
          {cap !== null && !capShown && <span className="chart__offscale muted"> (cap above the chart)</span>}
        </span>
      </figcaption>
      <div className="chart__plot">
        <ResponsiveContainer width="100%" height="100%" debounce={50}>
          <ComposedChart data={rows} margin={{ top: 6, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="var(--grid)" vertical={false} />
            <XAxis
              dataKey="t"
              type="number"
              domain={[end - HISTORY_MS, end]}
              ticks={minuteTicks(end)}
              tickFormatter={(t: number) => (t === end ? 'now' : `−${Math.round((end - t) / 60_000)}m`)}
              stroke="var(--axis)"
              tick={{ fill: 'var(--muted)', fontSize: 11 }}
              allowDataOverflow
            />
            <YAxis
              width={64}
              domain={[0, yTop]}
              tickCount={4}
              tickFormatter={(v: number) => formatAxis(resource, v)}
              stroke="var(--axis)"
              tick={{ fill: 'var(--muted)', fontSize: 11 }}
              allowDataOverflow
            />
            <Tooltip
              isAnimationActive={false}
              labelFormatter={(t) => new Date(Number(t)).toLocaleTimeString()}
              formatter={(v, name) => [formatValue(resource, Number(v)), name === CAP_KEY ? 'Cap' : (apps[String(name)]?.definition.name ?? String(name))]}
              contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)', borderRadius: 6, fontSize: 12 }}
            />
            {appIds.map((id, i) => (
              <Area
                key={id}
                dataKey={id}
                name={id}
                stackId="apps"
                type="monotone"
                stroke={appColor(i)}
                fill={appColor(i)}
                fillOpacity={0.55}
                strokeWidth={1}
                isAnimationActive={false}
                dot={false}
                activeDot={false}
                connectNulls
              />
            ))}
            <Line dataKey={CAP_KEY} name={CAP_KEY} type="stepAfter" stroke="var(--cap)" strokeWidth={1.5} strokeDasharray="5 4" dot={false} activeDot={false} isAnimationActive={false} connectNulls={false} />
          </ComposedChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
});

export function UsageCharts() {
  const hasHistory = useStore((s) => s.history.length > 0);
  return (
    <div className="chart-grid">
      {RESOURCES.map((r) => (
        <ResourceChart key={r} resource={r} />
      ))}
      {!hasHistory && <p className="muted chart-grid__empty">No figures yet: they arrive twice a second once the engine runs.</p>}
    </div>
  );
}
