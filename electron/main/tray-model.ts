// The tray as data: which icon, which tooltip, which menu, derived from the engine's
// FullState, the pause lease and recent limit hits. main.ts turns the model into an
// Electron Menu with toMenuTemplate(); nothing here touches Electron at run time.
import type { MenuItemConstructorOptions } from 'electron';
import type { CommandArgs, CommandName } from '../common/contract.js';
import { LIVE_APP_STATES, PROFILE_CHOICES, type AppView, type EventLogEntry, type FullState, type PauseLease, type ProfileChoice, type ProfileName } from '../common/model.js';

export type TrayIconState = 'running' | 'paused' | 'atCap';

export const PAUSE_CHOICES: ReadonlyArray<{ id: string; label: string; durationMs: number | null }> = [
  { id: 'pause-15m', label: 'For 15 minutes', durationMs: 15 * 60_000 },
  { id: 'pause-1h', label: 'For 1 hour', durationMs: 60 * 60_000 },
  { id: 'pause-forever', label: 'Until resumed', durationMs: null },
];

/** Apps listed in the menu; the rest are in the dashboard. */
export const MAX_MENU_APPS = 15;
/** A limit hit keeps the at-cap icon this long. */
export const AT_CAP_WINDOW_MS = 10_000;

export type TrayAction =
  | { type: 'invoke'; command: 'pauseAll'; args: CommandArgs<'pauseAll'> }
  | { type: 'invoke'; command: 'resumeAll'; args: CommandArgs<'resumeAll'> }
  | { type: 'invoke'; command: 'pauseApp' | 'resumeApp' | 'startApp'; args: { id: string } }
  | { type: 'invoke'; command: 'setProfile'; args: CommandArgs<'setProfile'> }
  | { type: 'openDashboard' }
  | { type: 'quit' };

export interface TrayMenuItem {
  id: string;
  label: string;
  kind: 'normal' | 'checkbox' | 'radio' | 'separator' | 'submenu';
  enabled: boolean;
  checked?: boolean;
  action?: TrayAction;
  submenu?: TrayMenuItem[];
}

export interface TrayModel {
  icon: TrayIconState;
  tooltip: string;
  items: TrayMenuItem[];
}

export const PROFILE_LABELS: Record<ProfileName, string> = { inUse: 'in use', idle: 'idle', battery: 'on battery' };
const CHOICE_LABELS: Record<ProfileChoice, string> = { auto: 'Automatic (idle and power)', inUse: 'In use', idle: 'Idle', battery: 'On battery' };

/** "Profile" submenu: automatic, or one profile pinned by hand. */
function profileMenu(state: FullState | null): TrayMenuItem {
  return {
    id: 'profile-choice',
    label: 'Profile',
    kind: 'submenu',
    enabled: state !== null,
    submenu: PROFILE_CHOICES.map((choice) => ({
      id: `profile-${choice}`,
      label: CHOICE_LABELS[choice],
      kind: 'radio' as const,
      enabled: state !== null,
      checked: state?.profileChoice === choice,
      action: { type: 'invoke' as const, command: 'setProfile' as const, args: { profile: choice } },
    })),
  };
}

/** A lease is in force while `until` is in the future (null = until resumed). */
export function isLeaseActive(lease: PauseLease | null | undefined, now: number): lease is PauseLease {
  return !!lease && (lease.until === null || lease.until > now);
}

const LIVE_STATES: ReadonlySet<AppView['state']> = new Set(LIVE_APP_STATES);

export function isAppLive(app: AppView): boolean {
  return LIVE_STATES.has(app.state);
}

/** Remembers the last limit hit seen in the event log, for the at-cap icon. */
export class AtCapTracker {
  private lastHit = -Infinity;
  constructor(private readonly windowMs = AT_CAP_WINDOW_MS) {}
  observe(entry: Pick<EventLogEntry, 'kind' | 't'>): boolean {
    if (entry.kind !== 'limitHit') return false;
    const wasAfter = entry.t > this.lastHit;
    if (wasAfter) this.lastHit = entry.t;
    return wasAfter;
  }
  isAtCap(now: number): boolean {
    return now - this.lastHit <= this.windowMs;
  }
  /** When the at-cap look ends if no new hit arrives (null: not at cap). */
  expiresAt(now: number): number | null {
    return this.isAtCap(now) ? this.lastHit + this.windowMs : null;
  }
}

export function trayIconState(state: FullState | null, atCap: boolean, now: number): TrayIconState {
  if (!state) return 'running';
  if (isLeaseActive(state.pause, now)) return 'paused';
  const live = state.apps.filter(isAppLive);
  if (live.length > 0 && live.every((a) => a.state === 'paused')) return 'paused';
  if (atCap) return 'atCap';
  return 'running';
}

export function defaultFormatTime(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function describePause(lease: PauseLease, formatTime: (ms: number) => string = defaultFormatTime): string {
  return lease.until === null ? 'Paused until resumed' : `Paused until ${formatTime(lease.until)}`;
}

function truncate(text: string, max = 40): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function appToggle(app: AppView): TrayMenuItem {
  const id = app.definition.id;
  const name = truncate(app.definition.name);
  switch (app.state) {
    case 'starting':
    case 'running':
    case 'waiting':
    case 'held':
      return { id: `app:${id}`, label: name, kind: 'checkbox', enabled: true, checked: true, action: { type: 'invoke', command: 'pauseApp', args: { id } } };
    case 'paused':
      return { id: `app:${id}`, label: `${name} (paused)`, kind: 'checkbox', enabled: true, checked: false, action: { type: 'invoke', command: 'resumeApp', args: { id } } };
    case 'crashed':
      return { id: `app:${id}`, label: `${name} (crashed)`, kind: 'checkbox', enabled: true, checked: false, action: { type: 'invoke', command: 'startApp', args: { id } } };
    case 'stopped':
    case 'exited':
      return { id: `app:${id}`, label: `${name} (stopped)`, kind: 'checkbox', enabled: true, checked: false, action: { type: 'invoke', command: 'startApp', args: { id } } };
  }
}

export interface TrayModelInput {
  state: FullState | null;
  now: number;
  atCap: boolean;
  formatTime?: (ms: number) => string;
}

export function buildTrayModel(input: TrayModelInput): TrayModel {
  const { state, now } = input;
  const formatTime = input.formatTime ?? defaultFormatTime;
  const icon = trayIconState(state, input.atCap, now);
  const lease = state && isLeaseActive(state.pause, now) ? state.pause : null;
  const items: TrayMenuItem[] = [];

  let status: string;
  if (!state) status = 'Starting…';
  else if (lease) status = describePause(lease, formatTime);
  else {
    const live = state.apps.filter(isAppLive).length;
    status = `${live} of ${state.apps.length} app${state.apps.length === 1 ? '' : 's'} running`;
    if (icon === 'paused') status += ' (all paused)';
    else if (icon === 'atCap') status += ' · at cap';
  }
  const profileLine = state ? `Profile: ${PROFILE_LABELS[state.profile]}${state.profileChoice !== 'auto' ? ' (chosen by hand)' : state.schedule?.reason === 'schedule' ? ' (week schedule)' : ''}` : null;
  items.push({ id: 'status', label: status, kind: 'normal', enabled: false });
  if (profileLine) items.push({ id: 'profile', label: profileLine, kind: 'normal', enabled: false });
  items.push({ id: 'sep-1', label: '', kind: 'separator', enabled: true });

  const ready = state !== null;
  items.push({
    id: 'pause-all',
    label: lease ? 'Pause all (change)' : 'Pause all',
    kind: 'submenu',
    enabled: ready,
    submenu: PAUSE_CHOICES.map((c) => ({
      id: c.id,
      label: c.label,
      kind: 'normal' as const,
      enabled: ready,
      action: { type: 'invoke' as const, command: 'pauseAll' as const, args: { durationMs: c.durationMs } },
    })),
  });
  items.push({ id: 'resume-all', label: 'Resume', kind: 'normal', enabled: ready && lease !== null, action: { type: 'invoke', command: 'resumeAll', args: {} } });
  items.push(profileMenu(state));

  if (state && state.apps.length > 0) {
    items.push({ id: 'sep-apps', label: '', kind: 'separator', enabled: true });
    for (const app of state.apps.slice(0, MAX_MENU_APPS)) items.push(appToggle(app));
    if (state.apps.length > MAX_MENU_APPS) {
      items.push({ id: 'apps-more', label: `${state.apps.length - MAX_MENU_APPS} more in the dashboard`, kind: 'normal', enabled: false });
    }
  }

  items.push({ id: 'sep-2', label: '', kind: 'separator', enabled: true });
  items.push({ id: 'open-dashboard', label: 'Open dashboard', kind: 'normal', enabled: true, action: { type: 'openDashboard' } });
  items.push({ id: 'quit', label: 'Quit Interceptor', kind: 'normal', enabled: true, action: { type: 'quit' } });

  const tooltipState = lease ? describePause(lease, formatTime) : status;
  const tooltip = `Interceptor — ${tooltipState}${profileLine ? ` · ${profileLine.toLowerCase()}` : ''}`;
  return { icon, tooltip, items };
}

/** When the model must be rebuilt even without new engine events (lease end, at-cap end). */
export function nextTrayRefresh(state: FullState | null, tracker: AtCapTracker, now: number): number | null {
  const times: number[] = [];
  if (state && isLeaseActive(state.pause, now) && state.pause.until !== null) times.push(state.pause.until);
  const capEnd = tracker.expiresAt(now);
  if (capEnd !== null) times.push(capEnd + 1);
  return times.length ? Math.min(...times) : null;
}

/** Menu labels treat '&' as a mnemonic marker: show it literally. */
export function escapeLabel(label: string): string {
  return label.replace(/&/g, '&&');
}

export function toMenuTemplate(items: TrayMenuItem[], dispatch: (action: TrayAction) => void): MenuItemConstructorOptions[] {
  return items.map((item): MenuItemConstructorOptions => {
    if (item.kind === 'separator') return { id: item.id, type: 'separator' };
    const base: MenuItemConstructorOptions = { id: item.id, label: escapeLabel(item.label), enabled: item.enabled };
    if (item.kind === 'submenu') return { ...base, type: 'submenu', submenu: toMenuTemplate(item.submenu ?? [], dispatch) };
    const action = item.action;
    const click = action ? () => dispatch(action) : undefined;
    if (item.kind === 'checkbox' || item.kind === 'radio') return { ...base, type: item.kind, checked: item.checked ?? false, ...(click ? { click } : {}) };
    return { ...base, type: 'normal', ...(click ? { click } : {}) };
  });
}

/** The command a tray action invokes (for main.ts's dispatcher). */
export function actionCommand(action: TrayAction): { name: CommandName; args: unknown } | null {
  return action.type === 'invoke' ? { name: action.command, args: action.args } : null;
}
