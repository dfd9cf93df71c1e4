// The selected app: its nominal shares (sliders bounded by what the caps leave), its ceilings
// and its terminal.
import { memo, useEffect, useRef } from 'react';
import { bridge } from '../bridge/index.js';
import { appStore, useStore } from '../store/index.js';
import { selectApp, selectShareCap, selectShareEntries } from '../store/selectors.js';
import { maxShare } from '../lib/constraints.js';
import { formatValue, RESOURCE_LABELS, RESOURCES, type Resource } from '../lib/units.js';
import { ValueSlider } from './ValueSlider.js';
import { CeilingSliders } from './CeilingSliders.js';
import { TerminalView } from './TerminalView.js';

const ShareSlider = memo(function ShareSlider({ id, resource, name }: { id: string; resource: Resource; name: string }) {
  const value = useStore((s) => s.apps[id]?.definition.shares[resource]);
  const cap = useStore(selectShareCap(resource));
  const entries = useStore(selectShareEntries);
  const connected = useStore((s) => s.connection.status === 'open');
  const max = maxShare(resource, cap, entries, id);
  const hint = cap === null ? `the most this machine offers` : `the cap of ${formatValue(resource, cap)} leaves ${formatValue(resource, max)} after the other apps' shares`;
  return (
    <div className="share-row">
      <span className="share-row__label" id={`share-${id}-${resource}`}>
        {RESOURCE_LABELS[resource]}
      </span>
      <ValueSlider
        resource={resource}
        label={`${RESOURCE_LABELS[resource]} share of ${name}`}
        value={value}
        max={max}
        limitHint={hint}
        disabled={!connected}
        onCommit={(v) => {
          const current = appStore.getState().apps[id]?.definition.shares;
          if (!current) return Promise.reject(new Error('This app is gone.'));
          return bridge().updateApp(id, { shares: { ...current, [resource]: v ?? 0 } });
        }}
        testId={`share-slider-${resource}`}
      />
      <span className="share-row__max muted">up to {formatValue(resource, max)}</span>
    </div>
  );
});

export function AppDetail({ id }: { id: string }) {
  const view = useStore(selectApp(id));
  const openEditor = useStore((s) => s.openEditor);
  const selectAppId = useStore((s) => s.selectApp);
  const panel = useRef<HTMLElement>(null);
  useEffect(() => {
    panel.current?.scrollIntoView?.({ block: 'nearest' });
  }, [id]);
  if (!view) return null;
  const name = view.definition.name;
  return (
    <section ref={panel} className="card detail" aria-labelledby="detail-title" data-testid="app-detail">
      <header className="detail__head">
        <h2 id="detail-title">{name}</h2>
        <div className="detail__actions">
          <button type="button" className="btn btn--small" onClick={() => openEditor({ mode: 'edit', id })}>
            Edit app
          </button>
          <button type="button" className="btn btn--small btn--ghost" aria-label="Close details" onClick={() => selectAppId(null)}>
            Close
          </button>
        </div>
      </header>
      <div className="detail__body">
        <div className="detail__shares">
          <h3>Nominal shares</h3>
          <p className="muted small">What this app is guaranteed. Together the apps can never be promised more than your caps leave.</p>
          {RESOURCES.map((r) => (
            <ShareSlider key={r} id={id} resource={r} name={name} />
          ))}
          <CeilingSliders id={id} name={name} />
        </div>
        <div className="detail__terminal">
          <h3>Terminal</h3>
          <TerminalView key={id} appId={id} />
        </div>
      </div>
    </section>
  );
}

