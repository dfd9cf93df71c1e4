// Apps: a row per app with its state, nominal vs received share per resource, lag,
// and its actions; the selected app's shares and terminal below the table.
import { memo, useEffect, useRef, useState } from 'react';
import type { AppState, AppView } from '../../../electron/common/model.js';
import { bridge, errorMessage } from '../bridge/index.js';
import { appStore, useStore } from '../store/index.js';
import { selectApp, selectAppState, selectFigure, selectShareCap, selectShareEntries } from '../store/selectors.js';
import { maxShare } from '../lib/constraints.js';
import { appColor } from '../lib/colors.js';
import { formatSigned, formatValue, RESOURCE_LABELS, RESOURCES, type Resource } from '../lib/units.js';
import { ValueSlider } from './ValueSlider.js';
import { TerminalView } from './TerminalView.js';
import { Empty } from './EmptyState.js';
import { Loading } from './Overview.js';

const STATE_LABELS: Record<AppState, string> = {
  stopped: 'Stopped',
  starting: 'Starting',
  running: 'Running',
  waiting: 'Waiting for CPU',
  held: 'Held',
  paused: 'Paused',
  exited: 'Exited',
  crashed: 'Crashed',
};

export function stateText(state: AppState | undefined, view: AppView | undefined): string {
  if (!state) return '';
  if (state === 'exited' || state === 'crashed') {
    if (view?.exitSignal) return `${STATE_LABELS[state]} (${view.exitSignal})`;
    if (view?.exitCode !== null && view?.exitCode !== undefined) return `${STATE_LABELS[state]} (code ${view.exitCode})`;
  }
  return STATE_LABELS[state];
}

const StatePill = memo(function StatePill({ id }: { id: string }) {
  const state = useStore(selectAppState(id));
  const view = useStore(selectApp(id));
  return (
    <span className={`pill pill--${state ?? 'stopped'}`} data-testid={`state-${id}`} data-state={state}>
      {stateText(state, view)}
    </span>
  );
});

/** Received now / nominal, and the lag R − S under it. Re-renders only when a shown text changes. */
const FigureCell = memo(function FigureCell({ id, resource }: { id: string; resource: Resource }) {
  const received = useStore((s) => formatValue(resource, selectFigure(id, resource, 'recent')(s)));
  const nominal = useStore((s) => formatValue(resource, s.apps[id]?.definition.shares[resource]));
  const lagValue = useStore((s) => selectFigure(id, resource, 'lag')(s));
  const lag = formatSigned(resource, lagValue);
  // A negative lag is normal for an app that asks for little; it matters when calls wait for credit.
  const held = useStore((s) => (s.latestApps[id]?.resources[resource].held ?? 0) > 0);
  const behind = held && lagValue !== undefined && lagValue < 0 && !/^±/.test(lag);
  return (
    <td className="fig" data-testid={`fig-${id}-${resource}`}>
      <span className="fig__main">
        {received}
        <span className="fig__nominal">
          <span className="fig__sep"> / </span>
          <span className="fig__of">of </span>
          {nominal}
        </span>
      </span>
      <span className={`fig__lag${behind ? ' is-behind' : ''}`} title="Allocation lag: received since start minus nominal share">
        lag {lag}
      </span>
    </td>
  );
});

function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    action()
      .catch((err: unknown) => setError(errorMessage(err)))
      .finally(() => setBusy(false));
  };
  return { busy, error, run, clear: () => setError(null) };
}

const AppRow = memo(function AppRow({ id, index }: { id: string; index: number }) {
  const view = useStore(selectApp(id));
  const state = useStore(selectAppState(id));
  const selected = useStore((s) => s.selectedAppId === id);
  const selectAppId = useStore((s) => s.selectApp);
  const connected = useStore((s) => s.connection.status === 'open');
  const [confirming, setConfirming] = useState(false);
  const { busy, error, run } = useAction();
  if (!view) return null;
  const name = view.definition.name;
  const live = state === 'running' || state === 'waiting' || state === 'held' || state === 'starting';
  const disabled = busy || !connected;
  return (
    <>
      <tr className={`app-row${selected ? ' is-selected' : ''}`} data-testid={`app-row-${id}`} data-app-name={name}>
        <th scope="row" className="app-row__name">
          <button type="button" className="app-name" aria-expanded={selected} onClick={() => selectAppId(selected ? null : id)} title="Shares and terminal">
            <span className="swatch" style={{ backgroundColor: appColor(index) }} aria-hidden="true" />
            <span className="app-name__text">
              <span className="app-name__title">{name}</span>
              <span className="app-name__cmd">{[view.definition.command, ...view.definition.args].join(' ')}</span>
            </span>
          </button>
        </th>
        <td>
          <StatePill id={id} />
        </td>
        {RESOURCES.map((r) => (
          <FigureCell key={r} id={id} resource={r} />
        ))}
        <td className="app-row__actions">
          {confirming ? (
            <span className="confirm" role="group" aria-label={`Remove ${name}?`}>
              <span>Remove?</span>
              <button type="button" className="btn btn--small btn--danger" disabled={disabled} onClick={() => run(() => bridge().removeApp(id))}>
                Remove
              </button>
              <button type="button" className="btn btn--small" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </span>
          ) : (
            <>
              {view.pausedByOwner || state === 'paused' ? (
                <button type="button" className="btn btn--small" disabled={disabled} aria-label={`Resume ${name}`} onClick={() => run(() => bridge().resumeApp(id))}>
                  Resume
                </button>
              ) : live ? (
                <button type="button" className="btn btn--small" disabled={disabled} aria-label={`Pause ${name}`} onClick={() => run(() => bridge().pauseApp(id))}>
                  Pause
                </button>
              ) : (
                <button type="button" className="btn btn--small" disabled={disabled} aria-label={`Start ${name}`} onClick={() => run(() => bridge().startApp(id))}>
                  Start
                </button>
              )}
              <button type="button" className="btn btn--small" disabled={disabled} aria-label={`Restart ${name}`} onClick={() => run(() => bridge().restartApp(id))}>
                Restart
              </button>
              <button type="button" className="btn btn--small btn--ghost btn--icon" disabled={disabled} aria-label={`Remove ${name}`} title="Remove" onClick={() => setConfirming(true)}>
                ✕
              </button>
            </>
          )}
        </td>
      </tr>
      {error && (
        <tr className="app-row__error">
          <td colSpan={RESOURCES.length + 3} role="alert">
            {name}: {error}
          </td>
        </tr>
      )}
    </>
  );
});

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

function AppDetail({ id }: { id: string }) {
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
        </div>
        <div className="detail__terminal">
          <h3>Terminal</h3>
          <TerminalView key={id} appId={id} />
        </div>
      </div>
    </section>
  );
}

export function AppsView() {
  const loaded = useStore((s) => s.loaded);
  const appIds = useStore((s) => s.appIds);
  const selected = useStore((s) => s.selectedAppId);
  const openEditor = useStore((s) => s.openEditor);
  const connected = useStore((s) => s.connection.status === 'open');
  if (!loaded) return <Loading />;
  return (
    <div className="view">
      <section className="section" aria-labelledby="apps-title">
        <div className="section__head">
          <div>
            <h2 id="apps-title">Apps</h2>
            <p className="section__sub">Received now / nominal share per resource; lag is the share received since start minus the nominal share.</p>
          </div>
          <button type="button" className="btn btn--primary" disabled={!connected} onClick={() => openEditor({ mode: 'add' })} data-testid="add-app">
            Add app
          </button>
        </div>
        {appIds.length === 0 ? (
          <Empty title="No apps yet.">
            <p>Add a P2P app with its command: Interceptor starts it in a terminal and keeps it within your caps.</p>
            <button type="button" className="btn btn--primary" disabled={!connected} onClick={() => openEditor({ mode: 'add' })}>
              Add app
            </button>
          </Empty>
        ) : (
          <div className="card table-wrap">
            <table className="apps-table">
              <colgroup>
                <col className="col-name" />
                <col className="col-state" />
                {RESOURCES.map((r) => (
                  <col key={r} className="col-fig" />
                ))}
                <col className="col-actions" />
              </colgroup>
              <thead>
                <tr>
                  <th scope="col">App</th>
                  <th scope="col">State</th>
                  {RESOURCES.map((r) => (
                    <th scope="col" key={r} className="fig">
                      {RESOURCE_LABELS[r]}
                    </th>
                  ))}
                  <th scope="col" className="app-row__actions">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {appIds.map((id, i) => (
                  <AppRow key={id} id={id} index={i} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {selected ? (
        <AppDetail id={selected} />
      ) : (
        appIds.length > 0 && <p className="muted hint-select">Select an app by its name to set its shares and open its terminal.</p>
      )}
    </div>
  );
}
