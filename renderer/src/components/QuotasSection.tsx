// Transfer quotas in Settings: each rule with what its period counted so far and when it ends, a
// form to add one (an app or all apps, a day or a month, up, down or both, then pause or slow
// down), a button to remove one, and the day the month starts on. The engine keeps the counters;
// this view asks for them every few seconds while it is shown.
import { useEffect, useState, type FormEvent } from 'react';
import type { QuotaRule, QuotaView } from '../../../electron/common/quotas.js';
import { MAX_RESET_DAY, quotaName } from '../../../electron/common/quotas.js';
import { bridge, errorMessage } from '../bridge/index.js';
import { useStore } from '../store/index.js';
import { formatValue, parseValue } from '../lib/units.js';

const POLL_MS = 3000;

function describe(rule: QuotaRule, names: Record<string, string>): string {
  const who = rule.appId === null ? 'All apps' : (names[rule.appId] ?? rule.appId);
  const then = rule.action === 'pause' ? 'pause' : `slow to ${formatValue('netUp', rule.slowTo ?? 0)}`;
  return `${who}: ${quotaName(rule)} of ${formatValue('mem', rule.bytes)}, then ${then}`;
}

function AddQuota({ rules, onDone }: { rules: QuotaRule[]; onDone: (v: QuotaView) => void }) {
  const appIds = useStore((s) => s.appIds);
  const views = useStore((s) => s.apps);
  const apps = appIds.map((id) => ({ id, name: views[id]?.definition.name ?? id }));
  const [appId, setAppId] = useState('');
  const [period, setPeriod] = useState<QuotaRule['period']>('month');
  const [direction, setDirection] = useState<QuotaRule['direction']>('both');
  const [amount, setAmount] = useState('');
  const [action, setAction] = useState<QuotaRule['action']>('pause');
  const [slowTo, setSlowTo] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const bytes = parseValue('mem', amount);
    if (!bytes.ok || bytes.value <= 0) return setError(`Amount: ${bytes.ok ? 'more than 0' : bytes.error}`);
    const rate = action === 'slow' ? parseValue('netUp', slowTo) : null;
    if (rate && !rate.ok) return setError(`Slow to: ${rate.error}`);
    const rule: QuotaRule = { appId: appId || null, period, direction, bytes: bytes.value, action, slowTo: rate?.ok ? rate.value : null };
    setError(null);
    bridge()
      .setQuotas({ rules: [...rules, rule] })
      .then((v) => {
        setAmount('');
        onDone(v);
      }, (err: unknown) => setError(errorMessage(err)));
  };
  return (
    <form className="quota-form" onSubmit={submit} aria-label="Add a quota" data-testid="quota-form">
      <select aria-label="Quota for" value={appId} onChange={(e) => setAppId(e.currentTarget.value)}>
        <option value="">All apps</option>
        {apps.map((a) => (
          <option key={a.id} value={a.id}>
            {a.name}
          </option>
        ))}
      </select>
      <select aria-label="Period" value={period} onChange={(e) => setPeriod(e.currentTarget.value as QuotaRule['period'])}>
        <option value="day">per day</option>
        <option value="month">per month</option>
      </select>
      <select aria-label="Direction" value={direction} onChange={(e) => setDirection(e.currentTarget.value as QuotaRule['direction'])}>
        <option value="both">up + down</option>
        <option value="up">upload</option>
        <option value="down">download</option>
      </select>
      <input type="text" aria-label="Amount" placeholder="50GB" value={amount} onChange={(e) => setAmount(e.currentTarget.value)} />
      <select aria-label="When reached" value={action} onChange={(e) => setAction(e.currentTarget.value as QuotaRule['action'])}>
        <option value="pause">pause</option>
        <option value="slow">slow down to</option>
      </select>
      {action === 'slow' && <input type="text" aria-label="Slow to" placeholder="100kB/s" value={slowTo} onChange={(e) => setSlowTo(e.currentTarget.value)} />}
      <button type="submit" className="btn btn--small btn--primary">
        Add quota
      </button>
      {error && (
        <p className="settings-row__error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

export function QuotasSection() {
  const connected = useStore((s) => s.connection.status === 'open');
  const names = useStore((s) => s.apps);
  const [view, setView] = useState<QuotaView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!connected) return;
    let live = true;
    const load = () =>
      bridge()
        .getQuotas()
        .then((v) => live && setView(v), (err: unknown) => live && setError(errorMessage(err)));
    void load();
    const timer = setInterval(load, POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [connected]);
  const change = (args: Parameters<ReturnType<typeof bridge>['setQuotas']>[0]) => bridge().setQuotas(args).then(setView, (err: unknown) => setError(errorMessage(err)));
  const appNames = Object.fromEntries(Object.entries(names).map(([id, v]) => [id, v.definition.name]));
  return (
    <section className="section card settings-card" aria-labelledby="settings-quotas" data-testid="quotas">
      <h2 id="settings-quotas">Transfer quotas</h2>
      <p className="settings-row__hint">When an app, or all apps together, have moved this much in a day or a month, they are paused or slowed down until the period ends.</p>
      {view && view.status.length > 0 ? (
        <ul className="quota-list" data-testid="quota-list">
          {view.status.map((s, i) => (
            <li key={i} className={`quota${s.reached ? ' is-reached' : ''}`} data-testid={`quota-${i}`}>
              <span className="quota__rule">{describe(s.rule, appNames)}</span>
              <span className="quota__used">
                used {formatValue('mem', s.used)} ({Math.min(100, Math.round((s.used / s.rule.bytes) * 100))}%){s.reached ? `, reached until ${new Date(s.periodEnd).toLocaleString()}` : `, until ${new Date(s.periodEnd).toLocaleDateString()}`}
              </span>
              <button type="button" className="btn btn--small btn--ghost" aria-label={`Remove quota ${i + 1}`} disabled={!connected} onClick={() => void change({ rules: view.rules.filter((_, j) => j !== i) })}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted small">No quotas.</p>
      )}
      {view && <AddQuota rules={view.rules} onDone={setView} />}
      {view && (
        <div className="settings-row">
          <div className="settings-row__text">
            <label htmlFor="quota-reset-day">Months start on day</label>
            <p className="settings-row__hint">Monthly quotas count from this day of the month (1–{MAX_RESET_DAY}).</p>
          </div>
          <div className="settings-row__control">
            <select id="quota-reset-day" value={view.resetDay} disabled={!connected} onChange={(e) => void change({ resetDay: Number(e.currentTarget.value) })}>
              {Array.from({ length: MAX_RESET_DAY }, (_, i) => (
                <option key={i + 1} value={i + 1}>
                  {i + 1}
                </option>
              ))}
            </select>
          </div>
        </div>
      )}
      {error && (
        <p className="settings-row__error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
