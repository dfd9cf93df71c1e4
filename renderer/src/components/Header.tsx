// The bar at the top: the active profile, pause-all with its lease, the connection,
// the theme, and the views.
import { useEffect, useState } from 'react';
import type { ProfileName } from '../../../electron/common/model.js';
import { bridge, errorMessage } from '../bridge/index.js';
import { useStore } from '../store/index.js';
import type { ThemeChoice, View } from '../store/ui.js';
import { formatDuration, formatTime } from '../lib/units.js';
import { PROFILE_LABELS } from '../../../electron/common/profiles.js';
import { formatInstant } from '../../../electron/common/schedule-text.js';

const PROFILE_HINTS: Record<ProfileName, string> = {
  inUse: 'You are using this computer: the "In use" caps are in force.',
  idle: 'This computer is idle: the "Idle" caps are in force.',
  battery: 'This computer runs on battery: the "On battery" caps are in force.',
};

function ProfileBadge() {
  const profile = useStore((s) => s.profile);
  const byHand = useStore((s) => s.profileChoice !== 'auto');
  const bySchedule = useStore((s) => s.schedule?.reason === 'schedule');
  const loaded = useStore((s) => s.loaded);
  if (!loaded) return null;
  const hint = `${PROFILE_HINTS[profile]}${byHand ? ' Chosen by hand (Settings).' : bySchedule ? ' Set by the week schedule (Settings).' : ''}`;
  return (
    <div className="profile-badge" title={hint} data-testid="profile" data-choice={byHand ? 'manual' : 'auto'} data-reason={byHand ? 'manual' : bySchedule ? 'schedule' : 'detection'}>
      <span className="profile-badge__label">Profile</span>
      <span className={`profile-badge__value profile--${profile}`}>{PROFILE_LABELS[profile]}</span>
      {(byHand || bySchedule) && <span className="profile-badge__label">{byHand ? 'by hand' : 'scheduled'}</span>}
    </div>
  );
}

function useNow(intervalMs: number, active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs, active]);
  return now;
}

function PauseControl() {
  const pause = useStore((s) => s.pause);
  const scheduled = useStore((s) => (s.schedule?.paused ? s.schedule : null));
  const loaded = useStore((s) => s.loaded);
  const open = useStore((s) => s.connection.status === 'open');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const now = useNow(1000, pause?.until != null);
  if (!loaded) return null;
  const run = (action: () => Promise<void>) => {
    setBusy(true);
    action().then(
      () => setError(null),
      (err: unknown) => setError(errorMessage(err)),
    ).finally(() => setBusy(false));
  };
  const disabled = busy || !open;
  return (
    <div className={`pause-control${pause ? ' is-paused' : ''}`} role="group" aria-label="Pause all apps" data-testid="pause-control">
      {pause ? (
        <>
          <span className="pause-control__status" aria-live="polite">
            <span className="dot dot--paused" aria-hidden="true" />
            All apps paused {pause.until === null ? 'until you resume' : `until ${formatTime(pause.until)} (${formatDuration(pause.until - now)} left)`}
          </span>
          <button type="button" className="btn btn--primary" disabled={disabled} onClick={() => run(() => bridge().resumeAll())}>
            Resume all
          </button>
        </>
      ) : (
        <>
          {scheduled ? (
            <span className="pause-control__status" data-testid="schedule-pause" title="The week schedule pauses every app now (Settings → Schedule)">
              <span className="dot dot--paused" aria-hidden="true" />
              Scheduled pause{scheduled.next ? ` until ${formatInstant(scheduled.next.at, scheduled.timeZone)}` : ''}
            </span>
          ) : (
            <span className="pause-control__label">Pause all</span>
          )}
          <button type="button" className="btn btn--small" disabled={disabled} aria-label="Pause all apps for 15 minutes" onClick={() => run(() => bridge().pauseAll(15 * 60_000))}>
            15 min
          </button>
          <button type="button" className="btn btn--small" disabled={disabled} aria-label="Pause all apps for 1 hour" onClick={() => run(() => bridge().pauseAll(3_600_000))}>
            1 h
          </button>
          <button type="button" className="btn btn--small" disabled={disabled} aria-label="Pause all apps until resumed" onClick={() => run(() => bridge().pauseAll(null))}>
            Until resumed
          </button>
        </>
      )}
      {error && (
        <span className="pause-control__error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

function ConnectionDot() {
  const status = useStore((s) => s.connection.status);
  const kind = useStore((s) => s.transportKind);
  const text = status === 'open' ? 'Connected' : status === 'unauthorized' ? 'Refused' : status === 'closed' ? 'Closed' : 'Connecting…';
  return (
    <span className={`conn conn--${status}`} data-testid="connection" data-status={status} title={kind === 'websocket' ? 'Engine over the local WebSocket' : 'Engine'}>
      <span className="dot" aria-hidden="true" />
      {text}
    </span>
  );
}

const THEME_NEXT: Record<ThemeChoice, ThemeChoice> = { system: 'light', light: 'dark', dark: 'system' };
const THEME_LABEL: Record<ThemeChoice, string> = { system: 'Theme: as the system', light: 'Theme: light', dark: 'Theme: dark' };
const THEME_SHORT: Record<ThemeChoice, string> = { system: '◐ Auto', light: '☀ Light', dark: '☾ Dark' };

function ThemeToggle() {
  const theme = useStore((s) => s.theme);
  const setTheme = useStore((s) => s.setTheme);
  return (
    <button type="button" className="btn btn--ghost btn--small" onClick={() => setTheme(THEME_NEXT[theme])} aria-label={`${THEME_LABEL[theme]}. Switch theme`} title="Switch theme: auto, light, dark" data-testid="theme-toggle">
      {THEME_SHORT[theme]}
    </button>
  );
}

const VIEWS: Array<{ id: View; label: string }> = [
  { id: 'overview', label: 'Overview' },
  { id: 'apps', label: 'Apps' },
  { id: 'events', label: 'Events' },
  { id: 'settings', label: 'Settings' },
];

function ViewTabs() {
  const view = useStore((s) => s.view);
  const setView = useStore((s) => s.setView);
  const count = useStore((s) => s.appIds.length);
  return (
    <nav className="tabs" aria-label="Views">
      {VIEWS.map((v) => (
        <button
          key={v.id}
          type="button"
          className={`tab${view === v.id ? ' is-active' : ''}`}
          aria-current={view === v.id ? 'page' : undefined}
          onClick={() => setView(v.id)}
          data-testid={`tab-${v.id}`}
        >
          {v.label}
          {v.id === 'apps' && count > 0 && <span className="tab__count">{count}</span>}
        </button>
      ))}
    </nav>
  );
}

/** Brand, views, the controls (profile, pause all) and the status (connection, theme); the CSS lays them out in one row on wide windows, two or three on narrower ones. */
export function Header() {
  return (
    <header className="header">
      <div className="header__brand">
        <span className="logo" aria-hidden="true" />
        <span className="header__title">Interceptor</span>
      </div>
      <ViewTabs />
      <div className="header__controls">
        <ProfileBadge />
        <PauseControl />
      </div>
      <div className="header__status">
        <ConnectionDot />
        <ThemeToggle />
      </div>
    </header>
  );
}
