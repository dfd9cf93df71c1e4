// The pieces of one app that the wide table and the narrow cards both show: its name
// button, its state, one resource's figures, and its actions.
import { memo, useState } from 'react';
import type { AppState, AppView } from '../../../electron/common/model.js';
import { bridge, errorMessage } from '../bridge/index.js';
import { useStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { selectApp, selectAppState, selectFigure } from '../store/selectors.js';
import { appColor } from '../lib/colors.js';
import { formatValue, LAG_TOOLTIP, lagWords, type Resource } from '../lib/units.js';

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

/** How it ended, for an app that ended: "code 127", "SIGKILL"; otherwise null. */
function endDetail(state: AppState | undefined, view: AppView | undefined): string | null {
  if (state !== 'exited' && state !== 'crashed') return null;
  if (view?.exitSignal) return view.exitSignal;
  if (view?.exitCode !== null && view?.exitCode !== undefined) return `code ${view.exitCode}`;
  return null;
}

/** The state in a pill, and how it ended on a line of its own (a long pill would spill into the next column). */
export const StatePill = memo(function StatePill({ id }: { id: string }) {
  const state = useStore(selectAppState(id));
  const view = useStore(selectApp(id));
  const detail = endDetail(state, view);
  const label = state ? STATE_LABELS[state] : '';
  return (
    <span className="state">
      <span className={`pill pill--${state ?? 'stopped'}`} data-testid={`state-${id}`} data-state={state} title={detail ? `${label} (${detail})` : undefined}>
        {label}
      </span>
      {detail && (
        <span className="state__detail" data-testid={`state-detail-${id}`}>
          {detail}
        </span>
      )}
    </span>
  );
});

/** Received now / nominal, and the lag in words under it. Re-renders only when a shown text changes. */
export const Figure = memo(function Figure({ id, resource }: { id: string; resource: Resource }) {
  const received = useStore((s) => formatValue(resource, selectFigure(id, resource, 'recent')(s)));
  const nominal = useStore((s) => formatValue(resource, s.apps[id]?.definition.shares[resource]));
  const ceiling = useStore((s) => s.apps[id]?.definition.ceilings?.[resource] ?? null);
  const waiting = useStore((s) => (s.latestApps[id]?.resources[resource].held ?? 0) > 0);
  // strings, not the words' object: a selector must return what compares equal when unchanged
  const lag = (s: Store) => lagWords(resource, selectFigure(id, resource, 'lag')(s), waiting);
  const lagText = useStore((s) => lag(s).text);
  const lagTone = useStore((s) => lag(s).tone);
  return (
    <>
      <span className="fig__main">
        {received}
        <span className="fig__nominal">
          <span className="fig__sep"> / </span>
          <span className="fig__of">of </span>
          {nominal}
        </span>
      </span>
      <span className={`fig__lag is-${lagTone}`} title={LAG_TOOLTIP}>
        {lagText}
      </span>
      {ceiling !== null && (
        <span className="fig__ceiling" data-testid={`ceiling-${id}-${resource}`} title="This app's ceiling: the most it receives">
          max {formatValue(resource, ceiling)}
        </span>
      )}
    </>
  );
});

export function AppNameButton({ id, index }: { id: string; index: number }) {
  const view = useStore(selectApp(id));
  const selected = useStore((s) => s.selectedAppId === id);
  const selectAppId = useStore((s) => s.selectApp);
  if (!view) return null;
  return (
    <button type="button" className="app-name" aria-expanded={selected} onClick={() => selectAppId(selected ? null : id)} title="Shares and terminal">
      <span className="swatch" style={{ backgroundColor: appColor(index) }} aria-hidden="true" />
      <span className="app-name__text">
        <span className="app-name__title">{view.definition.name}</span>
        <span className="app-name__cmd">{[view.definition.command, ...view.definition.args].join(' ')}</span>
      </span>
    </button>
  );
}

/** Runs one command of an app at a time and keeps its refusal to show. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    action()
      .catch((err: unknown) => setError(errorMessage(err)))
      .finally(() => setBusy(false));
  };
  return { busy, error, run };
}

/** Start / Pause / Resume, Restart, and Remove with a confirmation that never leaves its cell. */
export function AppActions({ id, action }: { id: string; action: ReturnType<typeof useAction> }) {
  const view = useStore(selectApp(id));
  const state = useStore(selectAppState(id));
  const connected = useStore((s) => s.connection.status === 'open');
  const [confirming, setConfirming] = useState(false);
  if (!view) return null;
  const name = view.definition.name;
  const live = state === 'running' || state === 'waiting' || state === 'held' || state === 'starting';
  const disabled = action.busy || !connected;
  // an adopted unit is started by systemd, never by the engine
  const unit = view.definition.systemdUnit;
  const bySystemd = unit ? `systemd starts ${unit.name}` : undefined;
  const { run } = action;
  if (confirming) {
    return (
      <span className="confirm" role="group" aria-label={`Remove ${name}?`}>
        <span>Remove?</span>
        <button type="button" className="btn btn--small btn--danger" disabled={disabled} onClick={() => run(() => bridge().removeApp(id))}>
          Remove
        </button>
        {/* the safe answer has the focus: the ✕ that had it is gone */}
        <button type="button" className="btn btn--small" onClick={() => setConfirming(false)} autoFocus>
          Keep
        </button>
      </span>
    );
  }
  return (
    <span className="app-actions">
      {view.pausedByOwner || state === 'paused' ? (
        <button type="button" className="btn btn--small" disabled={disabled} aria-label={`Resume ${name}`} onClick={() => run(() => bridge().resumeApp(id))}>
          Resume
        </button>
      ) : live ? (
        <button type="button" className="btn btn--small" disabled={disabled} aria-label={`Pause ${name}`} onClick={() => run(() => bridge().pauseApp(id))}>
          Pause
        </button>
      ) : (
        <button type="button" className="btn btn--small" disabled={disabled || !!unit} title={bySystemd} aria-label={`Start ${name}`} onClick={() => run(() => bridge().startApp(id))}>
          Start
        </button>
      )}
      <button type="button" className="btn btn--small" disabled={disabled || !!unit} title={bySystemd} aria-label={`Restart ${name}`} onClick={() => run(() => bridge().restartApp(id))}>
        Restart
      </button>
      <button type="button" className="btn btn--small btn--ghost btn--icon" disabled={disabled} aria-label={`Remove ${name}`} title="Remove" onClick={() => setConfirming(true)}>
        ✕
      </button>
    </span>
  );
}
