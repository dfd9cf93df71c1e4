// The overview: for each resource the total the apps use now against the owner's
// cap, with a slider to set the cap; then the charts of the last five minutes.
import { memo, useState } from 'react';
import type { ProfileName } from '../../../electron/common/model.js';
import { PROFILE_LABELS, PROFILE_NAMES } from '../../../electron/common/profiles.js';
import { bridge, errorMessage } from '../bridge/index.js';
import { useStore } from '../store/index.js';
import { selectCap, selectCapacity, selectEditProfile, selectShareEntries } from '../store/selectors.js';
import { capacityLimit, capacityWords, capSliderMax, formatCapShare, parseCapacity, usageBarScale } from '../lib/capacity.js';
import { MACHINE_MAX, minCap } from '../lib/constraints.js';
import { appColor } from '../lib/colors.js';
import { formatValue, RESOURCE_LABELS, RESOURCES, type Resource } from '../lib/units.js';
import { TypedValueInput, ValueSlider } from './ValueSlider.js';
import { UsageCharts } from './UsageCharts.js';
import { FirstRun } from './EmptyState.js';
import { RecentEvents } from './EventLog.js';

const DEFAULT_CAP: Record<Resource, number> = { cpu: 0.5, netUp: 1e6, netDown: 5e6, disk: 10e6, mem: 2e9 };
const CAP_HINT: Record<Resource, string> = {
  cpu: 'of all cores',
  netUp: 'all apps',
  netDown: 'all apps',
  disk: 'reads + writes',
  mem: 'committed',
};

/** The bar of one resource: each app's part of the total in its colour, and the cap as a mark. */
const UsageBar = memo(function UsageBar({ resource, cap }: { resource: Resource; cap: number | null }) {
  const latest = useStore((s) => s.latest);
  const appIds = useStore((s) => s.appIds);
  const capacity = useStore(selectCapacity(resource));
  const total = latest?.total[resource].recent ?? 0;
  const scale = usageBarScale(resource, cap, total, capacity);
  const parts = latest && scale !== null ? latest.apps.map((a) => ({ id: a.id, value: Math.max(0, a.resources[resource].recent) })) : [];
  const over = cap !== null && total > cap * 1.02;
  return (
    <div className={`usage-bar${scale === null ? ' is-unmeasured' : ''}`} aria-hidden="true" data-testid={`usage-bar-${resource}`}>
      <div className="usage-bar__track">
        {parts.map((p) =>
          p.value > 0 ? (
            <span
              key={p.id}
              className="usage-bar__part"
              style={{ width: `${Math.min(100, (p.value / scale!) * 100)}%`, backgroundColor: appColor(appIds.indexOf(p.id)) }}
            />
          ) : null,
        )}
        {cap !== null && scale !== null && <span className={`usage-bar__cap${over ? ' is-over' : ''}`} style={{ left: `${Math.min(100, (cap / scale) * 100)}%` }} />}
      </div>
    </div>
  );
});

type CapacityResource = 'netUp' | 'netDown' | 'disk';
const isCapacityResource = (r: Resource): r is CapacityResource => r === 'netUp' || r === 'netDown' || r === 'disk';

/** The link's or the disk's capacity: its value, where it came from, and Set… / Measure. */
function CapacityRow({ resource }: { resource: CapacityResource }) {
  const capacity = useStore(selectCapacity(resource));
  const [text, setText] = useState<string | null>(null); // non-null while the owner types one
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const words = capacityWords(resource, capacity);
  const label = `${RESOURCE_LABELS[resource]} capacity`;

  async function act(fn: () => Promise<unknown>): Promise<boolean> {
    setBusy(true);
    setError(null);
    try {
      await fn();
      return true;
    } catch (err) {
      setError(errorMessage(err));
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function save(typed: string): Promise<void> {
    const parsed = parseCapacity(resource, typed);
    if (!parsed.ok) {
      setError(parsed.error);
      return;
    }
    if (await act(() => bridge().setCapacity(resource, parsed.value))) setText(null);
  }

  return (
    <div className="capacity-row" data-testid={`capacity-${resource}`}>
      <p className="capacity-row__line">
        <span className="capacity-row__label">{words.label}</span>
        {words.value !== null && (
          <>
            {' '}
            <span className="capacity-row__value" data-testid={`capacity-value-${resource}`}>
              {words.value}
            </span>
          </>
        )}
        {words.source !== null && (
          <span className="capacity-row__source" data-testid={`capacity-source-${resource}`}>
            {' '}
            ({words.source})
          </span>
        )}
      </p>
      {words.action && text === null && (
        <p className="capacity-row__action" data-testid={`capacity-action-${resource}`}>
          {words.action}
        </p>
      )}
      {text !== null ? (
        <form
          className="capacity-row__form"
          onSubmit={(e) => {
            e.preventDefault();
            void save(text);
          }}
        >
          <TypedValueInput
            label={label}
            invalid={!!error}
            placeholder={resource === 'disk' ? '100MB/s' : '12.5MB/s'}
            value={text}
            data-testid={`capacity-input-${resource}`}
            onChange={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') {
                setText(null);
                setError(null);
              }
            }}
          />
          <button type="submit" className="btn btn--small btn--primary" disabled={busy} data-testid={`capacity-save-${resource}`}>
            Save
          </button>
          <button
            type="button"
            className="btn btn--small btn--ghost"
            onClick={() => {
              setText(null);
              setError(null);
            }}
          >
            Cancel
          </button>
        </form>
      ) : (
        <div className="capacity-row__actions">
          <button
            type="button"
            className="btn btn--small"
            aria-label={`Set the ${label.toLowerCase()}`}
            data-testid={`capacity-set-${resource}`}
            onClick={() => {
              setError(null);
              setText(capacity?.bytesPerSec ? formatValue(resource, capacity.bytesPerSec) : '');
            }}
          >
            Set…
          </button>
          <button
            type="button"
            className="btn btn--small"
            disabled={busy}
            aria-label={`Measure the ${resource === 'disk' ? 'disk' : 'link'} capacity`}
            title={resource === 'disk' ? 'Writes and reads back a 64 MiB file in the config folder' : 'Reads the link speed (or the peak rate seen)'}
            data-testid={`capacity-measure-${resource}`}
            onClick={() => void act(() => bridge().measureCapacity(resource === 'disk' ? 'disk' : 'net'))}
          >
            {busy ? 'Measuring…' : 'Measure'}
          </button>
          {capacity?.source === 'owner' && (
            <button type="button" className="btn btn--small btn--ghost" disabled={busy} onClick={() => void act(() => bridge().setCapacity(resource, null))}>
              Forget
            </button>
          )}
        </div>
      )}
      {error && (
        <p className="value-slider__msg is-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

function CapCard({ resource, profile }: { resource: Resource; profile: ProfileName }) {
  const cap = useStore(selectCap(resource, profile));
  const capacity = useStore(selectCapacity(resource));
  const share = isCapacityResource(resource) ? formatCapShare(resource, cap, capacity) : null;
  const max = isCapacityResource(resource) ? capSliderMax(resource, capacity) : MACHINE_MAX[resource];
  const entries = useStore(selectShareEntries);
  const activeProfile = useStore((s) => s.profile);
  const used = useStore((s) => formatValue(resource, s.latest?.total[resource].recent));
  // A pause of all apps makes the caps in force 0: the card keeps showing the cap, and says paused.
  const paused = useStore((s) => s.pause !== null) && resource !== 'mem';
  const effective = useStore((s) => {
    if (paused) return s.profiles ? s.profiles[s.profile][resource] : undefined;
    return s.latest ? s.latest.limits[resource] : s.limits ? s.limits[resource] : undefined;
  });
  const low = minCap(resource, entries);
  const label = `${RESOURCE_LABELS[resource]} cap`;
  return (
    <section className="card cap-card" aria-labelledby={`cap-${resource}`} data-testid={`cap-${resource}`}>
      <header className="cap-card__head">
        <h3 id={`cap-${resource}`}>{RESOURCE_LABELS[resource]}</h3>
        <span className="cap-card__hint">{CAP_HINT[resource]}</span>
      </header>
      <p className="cap-card__figure">
        <span className="cap-card__used" data-testid={`used-${resource}`}>
          {used}
        </span>
        <span className="cap-card__of" data-testid={`cap-of-${resource}`}>
          {' '}
          of {effective === undefined ? '–' : formatValue(resource, effective)}
          {profile !== activeProfile ? ' now' : ''}
          {paused && <span className="cap-card__paused"> · paused</span>}
        </span>
      </p>
      <UsageBar resource={resource} cap={effective ?? null} />
      <ValueSlider
        resource={resource}
        label={`${label}, ${PROFILE_LABELS[profile]} profile`}
        value={cap}
        min={low}
        max={max}
        maxHint={capacityLimit(capacity) !== null ? `the ${resource === 'disk' ? 'disk' : 'link'}'s capacity` : undefined}
        nullable
        defaultValue={Math.max(DEFAULT_CAP[resource], low)}
        limitHint={low > 0 ? `the apps' shares add up to ${formatValue(resource, low)}` : undefined}
        onCommit={(value) => bridge().setOwnerLimits(profile, { [resource]: value })}
        testId={`cap-slider-${resource}`}
      />
      {isCapacityResource(resource) && (
        <>
          <p className="cap-card__share" data-testid={`cap-share-${resource}`}>
            {share ?? '\u00a0'}
          </p>
          <CapacityRow resource={resource} />
        </>
      )}
    </section>
  );
}

function ProfilePicker() {
  const editing = useStore(selectEditProfile);
  const active = useStore((s) => s.profile);
  const setEditProfile = useStore((s) => s.setEditProfile);
  return (
    <div className="segmented" role="radiogroup" aria-label="Caps of the profile">
      {PROFILE_NAMES.map((p) => (
        <button
          key={p}
          type="button"
          role="radio"
          aria-checked={editing === p}
          className={`segmented__item${editing === p ? ' is-active' : ''}`}
          onClick={() => setEditProfile(p === active ? null : p)}
        >
          {PROFILE_LABELS[p]}
          {p === active && <span className="segmented__badge">active</span>}
        </button>
      ))}
    </div>
  );
}

export function Overview() {
  const loaded = useStore((s) => s.loaded);
  const hasApps = useStore((s) => s.appIds.length > 0);
  const profile = useStore(selectEditProfile);
  const active = useStore((s) => s.profile);
  if (!loaded) return <Loading />;
  return (
    <div className="view overview">
      {!hasApps && <FirstRun />}
      <section className="section" aria-labelledby="caps-title">
        <div className="section__head">
          <div>
            <h2 id="caps-title">Owner's caps</h2>
            <p className="section__sub">
              The most all P2P apps together may use. {profile === active ? 'Changes apply at once.' : `Editing the "${PROFILE_LABELS[profile]}" caps; they apply when that profile is active.`}
            </p>
          </div>
          <ProfilePicker />
        </div>
        <div className="cap-grid">
          {RESOURCES.map((r) => (
            <CapCard key={r} resource={r} profile={profile} />
          ))}
        </div>
      </section>
      <section className="section" aria-labelledby="charts-title">
        <div className="section__head">
          <div>
            <h2 id="charts-title">Usage</h2>
            <p className="section__sub">Pick a range and a resource. Each app is stacked in its colour (the busiest eight on their own); the dashed line is the cap.</p>
          </div>
        </div>
        <UsageCharts />
      </section>
      {hasApps && (
        <section className="section" aria-labelledby="recent-title">
          <div className="section__head">
            <h2 id="recent-title">Recent events</h2>
          </div>
          <RecentEvents limit={6} />
        </section>
      )}
    </div>
  );
}

export function Loading() {
  const status = useStore((s) => s.connection.status);
  return (
    <div className="view view--center" aria-busy="true">
      <p className="muted">{status === 'unauthorized' ? 'Not connected.' : 'Connecting to the Interceptor engine…'}</p>
    </div>
  );
}
