// The bridge: the one module that talks to the engine. It picks the transport (the
// Electron preload API when present, otherwise the WebSocket of `interceptor serve`
// with the token from the page's URL), loads the state on every (re)connection,
// writes everything the engine says into the store, and offers the commands the
// components use. No other module touches transport.
import type { CommandArgs, CommandName, CommandResult } from '../../../electron/common/contract.js';
import type { HistoryRange, UsageHistory } from '../../../electron/common/history.js';
import type { AppDefinitionInput, AppPatch, AppView, Capacities, EngineSettings, EventLogEntry, OwnerLimits, ProfileChoice, ProfileName } from '../../../electron/common/model.js';
import type { AppStore } from '../store/store.js';
import { electronTransport, preloadApi } from './electron.js';
import { CommandError } from '../../../electron/common/errors.js';
import type { Transport } from './transport.js';
import { WsTransport, wsUrlFromLocation } from './ws.js';

export { errorMessage, errorCode } from './transport.js';
export type { ConnectionInfo, ConnectionStatus } from './transport.js';

export const HISTORY_SECONDS = 300;

export class Bridge {
  private readonly unsubscribe: Array<() => void> = [];
  private generation = 0;

  constructor(
    readonly transport: Transport,
    private readonly store: AppStore,
  ) {
    const s = () => store.getState();
    this.unsubscribe.push(
      transport.on('snapshot', (snapshot) => s().addSnapshot(snapshot)),
      transport.on('state', (state) => this.applyState(state)),
      transport.on('log', (entry) => s().addLogEntries([entry])),
      transport.onConnection((info) => {
        s().setConnection(info, transport.kind);
        if (info.status === 'open') void this.load();
      }),
    );
  }

  /** Everything the dashboard shows, fetched again after each (re)connection. */
  private async load(): Promise<void> {
    const generation = ++this.generation;
    const s = this.store.getState();
    try {
      const [state, history, log] = await Promise.all([
        this.transport.invoke('getState', {}),
        this.transport.invoke('getHistory', { seconds: HISTORY_SECONDS }),
        this.transport.invoke('getEventLog', { sinceSeq: s.lastSeq }),
      ]);
      if (generation !== this.generation) return;
      this.applyState(state);
      this.store.getState().setHistory(history);
      this.store.getState().addLogEntries(log);
    } catch (error) {
      console.error('interceptor: loading the state failed', error);
    }
  }

  private applyState(state: CommandResult<'getState'>): void {
    const s = this.store.getState();
    s.setEngineState(state);
    s.setApps(state.apps);
    if (s.selectedAppId && !state.apps.some((a) => a.definition.id === s.selectedAppId)) s.selectApp(null);
  }

  private async call<N extends CommandName>(name: N, args: CommandArgs<N>): Promise<CommandResult<N>> {
    return this.transport.invoke(name, args);
  }

  private async appCall(name: 'startApp' | 'stopApp' | 'restartApp' | 'pauseApp' | 'resumeApp', id: string): Promise<AppView> {
    const view = await this.call(name, { id });
    this.store.getState().upsertApp(view);
    return view;
  }

  // ——— commands (what components may ask) ———

  async setOwnerLimits(profile: ProfileName, limits: Partial<OwnerLimits>): Promise<OwnerLimits> {
    const result = await this.call('setOwnerLimits', { profile, limits });
    this.store.getState().setProfileLimits(profile, result);
    return result;
  }
  /** The owner gives a link or disk capacity (bytes/s); null forgets it. */
  async setCapacity(resource: 'netUp' | 'netDown' | 'disk', bytesPerSec: number | null): Promise<Capacities> {
    const result = await this.call('setCapacity', { resource, bytesPerSec });
    this.store.getState().setCapacity(result);
    return result;
  }
  /** Measure now: 'net' for up and down, 'disk' (writes and reads 64 MiB; takes a moment). */
  async measureCapacity(resource: 'net' | 'disk'): Promise<Capacities> {
    const result = await this.call('measureCapacity', { resource });
    this.store.getState().setCapacity(result);
    return result;
  }
  async addApp(input: AppDefinitionInput): Promise<AppView> {
    const view = await this.call('addApp', input);
    this.store.getState().upsertApp(view);
    return view;
  }
  async updateApp(id: string, patch: AppPatch): Promise<AppView> {
    const view = await this.call('updateApp', { id, patch });
    this.store.getState().upsertApp(view);
    return view;
  }
  async removeApp(id: string): Promise<void> {
    await this.call('removeApp', { id });
    this.store.getState().dropApp(id);
    if (this.store.getState().selectedAppId === id) this.store.getState().selectApp(null);
  }
  startApp = (id: string) => this.appCall('startApp', id);
  stopApp = (id: string) => this.appCall('stopApp', id);
  restartApp = (id: string) => this.appCall('restartApp', id);
  pauseApp = (id: string) => this.appCall('pauseApp', id);
  resumeApp = (id: string) => this.appCall('resumeApp', id);
  async pauseAll(durationMs: number | null): Promise<void> {
    this.applyState(await this.call('pauseAll', { durationMs }));
  }
  async resumeAll(): Promise<void> {
    this.applyState(await this.call('resumeAll', {}));
  }
  /** The owner picks a profile by hand, or "auto". */
  async setProfile(profile: ProfileChoice): Promise<void> {
    this.applyState(await this.call('setProfile', { profile }));
  }
  async updateSettings(patch: Partial<EngineSettings>): Promise<void> {
    this.applyState(await this.call('updateSettings', patch));
  }
  /** The week schedule: on or off, and/or all 168 slots. */
  async setSchedule(patch: CommandArgs<'setSchedule'>): Promise<void> {
    this.applyState(await this.call('setSchedule', patch));
  }
  async setStartAtLogin(enabled: boolean): Promise<void> {
    this.applyState(await this.call('setStartAtLogin', { enabled }));
  }
  /** systemd units that look like P2P services; adopting one adds its app. */
  listUnits() {
    return this.call('listUnits', {});
  }
  async adoptUnit(args: CommandArgs<'adoptUnit'>) {
    const result = await this.call('adoptUnit', args);
    this.store.getState().upsertApp(result.app);
    return result;
  }
  releaseUnit(args: CommandArgs<'releaseUnit'>) {
    return this.call('releaseUnit', args);
  }
  /** Transfer quotas: the rules and what their periods counted (not in the store: the view polls). */
  getQuotas() {
    return this.call('getQuotas', {});
  }
  setQuotas(args: CommandArgs<'setQuotas'>) {
    return this.call('setQuotas', args);
  }
  checkExecutable(command: string, cwd?: string) {
    return this.call('checkExecutable', cwd ? { command, cwd } : { command });
  }
  /** Usage over a range, from the engine's history database. */
  usage(range: HistoryRange, appId?: string): Promise<UsageHistory> {
    return this.call('getUsage', appId ? { range, appId } : { range });
  }
  /** The event log filtered by app, kind and time (the newest that match, oldest first). */
  events(filter: CommandArgs<'getEvents'>): Promise<EventLogEntry[]> {
    return this.call('getEvents', filter);
  }
  writeTerminal(id: string, data: string): Promise<null> {
    return this.call('writeTerminal', { id, data });
  }
  resizeTerminal(id: string, cols: number, rows: number): Promise<null> {
    return this.call('resizeTerminal', { id, cols, rows });
  }

  /**
   * Follow an app's terminal: the backlog first, then live output. Output that
   * arrives before the backlog's answer is already in the backlog (one ordered
   * channel), so it is dropped rather than shown twice. Re-attaches after a reconnection.
   */
  followTerminal(id: string, write: (data: string, reset: boolean) => void): () => void {
    let stopped = false;
    let live = false;
    let attach = 0;
    const offData = this.transport.on('terminalData', (msg) => {
      if (!stopped && live && msg.id === id) write(msg.data, false);
    });
    const start = () => {
      const mine = ++attach;
      live = false;
      this.transport.invoke('getTerminalBacklog', { id }).then(
        (backlog) => {
          if (stopped || mine !== attach) return;
          write(backlog, true);
          live = true;
        },
        () => {
          if (!stopped && mine === attach) live = true;
        },
      );
    };
    const offConnection = this.transport.onConnection((info) => {
      if (info.status === 'open') start();
      else live = false;
    });
    return () => {
      stopped = true;
      offData();
      offConnection();
    };
  }

  retryNow(): void {
    this.transport.retryNow();
  }

  close(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    this.transport.close();
  }
}

/** The transport of this page: the preload API inside Electron, otherwise the WebSocket. */
export function createTransport(): Transport {
  const api = preloadApi();
  if (api) return electronTransport(api);
  const { url, token } = wsUrlFromLocation(window.location);
  return new WsTransport({
    url,
    probeUnauthorized: async () => {
      // The page's own address answers 401/403 when the token (or cookie) is refused.
      const probe = new URL(window.location.href);
      if (token) probe.searchParams.set('token', token);
      const response = await fetch(probe.href, { method: 'GET', credentials: 'same-origin', cache: 'no-store' });
      return response.status === 401 || response.status === 403;
    },
  });
}

let current: Bridge | null = null;

export function startBridge(store: AppStore, transport: Transport = createTransport()): Bridge {
  current?.close();
  current = new Bridge(transport, store);
  return current;
}

/** The running bridge, for components. */
export function bridge(): Bridge {
  if (!current) throw new CommandError('unavailable', 'The bridge has not started.');
  return current;
}
