// The selected app's ceilings: per resource the most it ever receives (a slider and a typed value,
// "No cap" for none), between its nominal share and the owner's loosest cap. What it leaves goes
// to the other apps.
import { memo } from 'react';
import { bridge } from '../bridge/index.js';
import { useStore } from '../store/index.js';
import { ceilingBounds } from '../lib/ceilings.js';
import { formatValue, RESOURCE_LABELS, RESOURCES, type Resource } from '../lib/units.js';
import { ValueSlider } from './ValueSlider.js';

const CeilingSlider = memo(function CeilingSlider({ id, resource, name }: { id: string; resource: Resource; name: string }) {
  const value = useStore((s) => s.apps[id]?.definition.ceilings?.[resource]);
  const share = useStore((s) => s.apps[id]?.definition.shares[resource] ?? 0);
  const profiles = useStore((s) => s.profiles);
  const connected = useStore((s) => s.connection.status === 'open');
  const { min, max } = ceilingBounds(resource, share, profiles);
  return (
    <div className="share-row">
      <span className="share-row__label">{RESOURCE_LABELS[resource]}</span>
      <ValueSlider
        resource={resource}
        label={`${RESOURCE_LABELS[resource]} ceiling of ${name}`}
        value={value === undefined ? null : value}
        min={min}
        max={max}
        nullable
        defaultValue={Math.max(min, max / 2)}
        limitHint={`a ceiling lies between the app's share, ${formatValue(resource, min)}, and your loosest cap, ${formatValue(resource, max)}`}
        maxHint="your loosest cap"
        minHint="this app's nominal share; lower the share first"
        disabled={!connected}
        onCommit={(v) => bridge().updateApp(id, { ceilings: { [resource]: v } })}
        testId={`ceiling-slider-${resource}`}
      />
      <span className="share-row__max muted">{value === null || value === undefined ? 'no ceiling' : `at most ${formatValue(resource, value)}`}</span>
    </div>
  );
});

export function CeilingSliders({ id, name }: { id: string; name: string }) {
  return (
    <div className="detail__ceilings" data-testid="ceilings">
      <h3>Ceilings</h3>
      <p className="muted small">The most this app ever receives, whatever is spare. What it leaves goes to the other apps.</p>
      {RESOURCES.map((r) => (
        <CeilingSlider key={r} id={id} resource={r} name={name} />
      ))}
    </div>
  );
}
