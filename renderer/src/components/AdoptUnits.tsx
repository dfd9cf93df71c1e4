// "Adopt a service": the user's and the system's systemd units that look like P2P services,
// each adopted (a drop-in runs its own ExecStart under the caps; its app appears in the list,
// shares 0 until the owner sets them) or released from here. The contract's listUnits,
// adoptUnit and releaseUnit; the CLI's `interceptor adopt` does the same.
import { useState } from 'react';
import type { EngineDown, UnitCandidate } from '../../../electron/common/adopt.js';
import { bridge, errorMessage } from '../bridge/index.js';

export function AdoptUnits({ disabled }: { disabled: boolean }) {
  const [units, setUnits] = useState<UnitCandidate[] | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [engineDown, setEngineDown] = useState<EngineDown>('run');
  const load = async () => {
    setMessage(null);
    try {
      setUnits(await bridge().listUnits());
    } catch (error) {
      setMessage(errorMessage(error));
    }
  };
  const act = async (u: UnitCandidate, adopt: boolean) => {
    setBusy(u.name);
    setMessage(null);
    try {
      if (adopt) {
        const r = await bridge().adoptUnit({ name: u.name, scope: u.scope, engineDown });
        setMessage([`Adopted ${u.name} as app ${r.app.definition.id}: ${r.dropIn}`, ...r.notes, r.systemd].join('. ') + '.');
      } else {
        const r = await bridge().releaseUnit({ name: u.name, scope: u.scope });
        setMessage(`Released ${u.name}: removed ${r.dropIn}; ${r.systemd}.`);
      }
      setUnits(await bridge().listUnits());
    } catch (error) {
      setMessage(errorMessage(error));
    } finally {
      setBusy(null);
    }
  };
  if (units === null) {
    return (
      <div className="adopt-open">
        <button type="button" className="btn" disabled={disabled} onClick={() => void load()} data-testid="adopt-open">
          Adopt a service…
        </button>
        {message && <p className="error" role="alert">{message}</p>}
      </div>
    );
  }
  return (
    <section className="section card adopt-panel" aria-labelledby="adopt-title" data-testid="adopt-panel">
      <div className="section__head">
        <div>
          <h2 id="adopt-title">Adopt a systemd service</h2>
          <p className="section__sub">Services already installed, run under your caps by systemd itself. A system unit&apos;s drop-in needs sudo without a password here; otherwise use <code>interceptor adopt --system UNIT</code> in a terminal.</p>
        </div>
        <button type="button" className="btn" onClick={() => setUnits(null)}>
          Close
        </button>
      </div>
      <label>
        When Interceptor is not running, the service{' '}
        <select value={engineDown} onChange={(e) => setEngineDown(e.target.value as EngineDown)} data-testid="adopt-engine-down">
          <option value="run">starts uncapped</option>
          <option value="hold">waits for Interceptor</option>
        </select>
      </label>
      {units.length === 0 ? (
        <p className="muted">No unit that looks like a P2P service.</p>
      ) : (
        <ul className="adopt-list" aria-label="Service units">
          {units.map((u) => (
            <li key={`${u.scope}:${u.name}`} data-testid={`unit-${u.scope}-${u.name}`}>
              <strong>{u.name}</strong> <span className="muted">({u.scope})</span> <code>{u.command ?? ''}</code>{' '}
              {u.adopted ? (
                <button type="button" className="btn" disabled={busy !== null} onClick={() => void act(u, false)}>
                  {busy === u.name ? 'Releasing…' : 'Release'}
                </button>
              ) : (
                <button type="button" className="btn btn--primary" disabled={busy !== null || u.problem !== null} title={u.problem ?? undefined} onClick={() => void act(u, true)}>
                  {busy === u.name ? 'Adopting…' : 'Adopt'}
                </button>
              )}
              {u.problem && <span className="muted"> {u.problem}</span>}
            </li>
          ))}
        </ul>
      )}
      {message && <p role="status" data-testid="adopt-message">{message}</p>}
    </section>
  );
}
