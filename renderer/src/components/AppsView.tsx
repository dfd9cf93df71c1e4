// Apps: a row per app with its state, nominal vs received share per resource, the lag in
// words, and its actions — a table on wide windows, a card per app on narrow ones; the
// selected app's shares and terminal below.
import { memo } from 'react';
import { useStore } from '../store/index.js';
import { selectApp } from '../store/selectors.js';
import { RESOURCE_LABELS, RESOURCES } from '../lib/units.js';
import { AppActions, AppNameButton, Figure, StatePill, useAction } from './AppParts.js';
import { AdoptUnits } from './AdoptUnits.js';
import { AppDetail } from './AppDetail.js';
import { Empty } from './EmptyState.js';
import { Loading } from './Overview.js';
import { useMediaQuery } from './useMediaQuery.js';

/** Below this width the table's nine columns squeeze their figures: one card per app instead (the header's laptop breakpoint). */
export const CARDS_QUERY = '(max-width: 1199px)';

const AppRow = memo(function AppRow({ id, index }: { id: string; index: number }) {
  const view = useStore(selectApp(id));
  const selected = useStore((s) => s.selectedAppId === id);
  const action = useAction();
  if (!view) return null;
  return (
    <>
      <tr className={`app-row${selected ? ' is-selected' : ''}`} data-testid={`app-row-${id}`} data-app-name={view.definition.name}>
        <th scope="row" className="app-row__name">
          <AppNameButton id={id} index={index} />
        </th>
        <td>
          <StatePill id={id} />
        </td>
        {RESOURCES.map((r) => (
          <td key={r} className="fig" data-testid={`fig-${id}-${r}`}>
            <Figure id={id} resource={r} />
          </td>
        ))}
        <td className="app-row__actions">
          <AppActions id={id} action={action} />
        </td>
      </tr>
      {action.error && (
        <tr className="app-row__error">
          <td colSpan={RESOURCES.length + 3} role="alert">
            {view.definition.name}: {action.error}
          </td>
        </tr>
      )}
    </>
  );
});

function AppsTable({ appIds }: { appIds: string[] }) {
  return (
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
  );
}

/** One app on a narrow window: name and state, the five figures labelled, the actions. */
const AppCard = memo(function AppCard({ id, index }: { id: string; index: number }) {
  const view = useStore(selectApp(id));
  const selected = useStore((s) => s.selectedAppId === id);
  const action = useAction();
  if (!view) return null;
  return (
    <li className={`card app-card${selected ? ' is-selected' : ''}`} data-testid={`app-row-${id}`} data-app-name={view.definition.name}>
      <div className="app-card__head">
        <AppNameButton id={id} index={index} />
        <StatePill id={id} />
      </div>
      <dl className="app-card__figs">
        {RESOURCES.map((r) => (
          <div key={r} className="app-card__fig fig" data-testid={`fig-${id}-${r}`}>
            <dt>{RESOURCE_LABELS[r]}</dt>
            <dd>
              <Figure id={id} resource={r} />
            </dd>
          </div>
        ))}
      </dl>
      <div className="app-card__actions">
        <AppActions id={id} action={action} />
      </div>
      {action.error && (
        <p className="app-card__error" role="alert">
          {action.error}
        </p>
      )}
    </li>
  );
});

export function AppsView() {
  const loaded = useStore((s) => s.loaded);
  const appIds = useStore((s) => s.appIds);
  const selected = useStore((s) => s.selectedAppId);
  const openEditor = useStore((s) => s.openEditor);
  const connected = useStore((s) => s.connection.status === 'open');
  const cards = useMediaQuery(CARDS_QUERY);
  if (!loaded) return <Loading />;
  return (
    <div className="view">
      <section className="section" aria-labelledby="apps-title">
        <div className="section__head">
          <div>
            <h2 id="apps-title">Apps</h2>
            <p className="section__sub">
              Received now / nominal share. Under it, since the app started: <em>owed</em> what it waited for and will catch up, <em>unused</em> what it did not need, <em>ahead</em> what it took beyond its share from spare capacity.
            </p>
          </div>
          <button type="button" className="btn btn--primary" disabled={!connected} onClick={() => openEditor({ mode: 'add' })} data-testid="add-app">
            Add app
          </button>
        </div>
        <AdoptUnits disabled={!connected} />
        {appIds.length === 0 ? (
          <Empty title="No apps yet.">
            <p>Add a P2P app with its command: Interceptor starts it in a terminal and keeps it within your caps.</p>
            <button type="button" className="btn btn--primary" disabled={!connected} onClick={() => openEditor({ mode: 'add' })}>
              Add app
            </button>
          </Empty>
        ) : cards ? (
          <ul className="app-cards" aria-label="Apps" data-testid="app-cards">
            {appIds.map((id, i) => (
              <AppCard key={id} id={id} index={i} />
            ))}
          </ul>
        ) : (
          <AppsTable appIds={appIds} />
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
