// Banners under the header: a lost or refused connection, a platform where caps are not
// enforced, a history database that was damaged or cannot be used. They take their space
// only while they apply.
import { useEffect, useState } from 'react';
import { bridge } from '../bridge/index.js';
import { useStore } from '../store/index.js';

export function ConnectionBanner() {
  const info = useStore((s) => s.connection);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (info.status !== 'reconnecting') return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [info.status]);
  if (info.status === 'unauthorized') {
    return (
      <div className="banner banner--error" role="alert" data-testid="banner-unauthorized">
        <strong>The engine refused this dashboard's token.</strong> Open the address printed by <code>interceptor serve</code> (it ends with <code>?token=…</code>) or start the dashboard from the Interceptor window.
      </div>
    );
  }
  if (info.status === 'reconnecting') {
    const wait = info.retryAt ? Math.max(0, Math.ceil((info.retryAt - now) / 1000)) : 0;
    return (
      <div className="banner banner--warn" role="status" data-testid="banner-reconnecting">
        <span className="spinner" aria-hidden="true" />
        <span>
          <strong>{info.detail ?? 'Connection lost.'}</strong> Reconnecting{wait > 0 ? ` in ${wait} s` : '…'} (attempt {info.attempt}). The figures below are frozen until then.
        </span>
        <button type="button" className="btn btn--small" onClick={() => bridge().retryNow()}>
          Retry now
        </button>
      </div>
    );
  }
  return null;
}

export function PlatformBanner() {
  const platform = useStore((s) => s.platform);
  if (!platform || platform.enforcement) return null;
  return (
    <div className="banner banner--warn" role="status">
      <strong>Caps are not enforced on this computer.</strong> {platform.reason ?? 'Enforcement needs Linux.'} Apps run and are measured, but may exceed their caps.
    </div>
  );
}

/** The history database was damaged (kept aside, a new one started) or cannot be used at all. */
export function HistoryBanner() {
  const status = useStore((s) => s.historyStatus);
  const [dismissed, setDismissed] = useState<string | null>(null);
  if (!status?.file || !status.problem || dismissed === status.problem) return null;
  return (
    <div className="banner banner--warn" role="status" data-testid="banner-history">
      {status.keptAside ? (
        <span>
          <strong>The usage history was damaged and a new one was started.</strong> The old file is kept as <code>{status.keptAside}</code> ({status.problem}).
        </span>
      ) : (
        <span>
          <strong>Usage history is not being kept.</strong> {status.problem}. The live view works; longer ranges and older events are unavailable.
        </span>
      )}
      <button type="button" className="btn btn--small" onClick={() => setDismissed(status.problem)}>
        Dismiss
      </button>
    </div>
  );
}
