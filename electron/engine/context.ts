// What every part of the engine shares: the owner's settings (kept in settings.json), the
// event log, the contract's events, the one clock, and the notice that the state changed.
import os from 'node:os';
import path from 'node:path';
import { CommandError } from '../common/contract.js';
import type { FullState } from '../common/model.js';
import { Listeners } from '../common/rpc.js';
import type { ContractEventArgs } from '../common/wire.js';
import type { EngineOptions } from './api.js';
import { realClock, type EngineClock } from './clock.js';
import { EventLog, Throttle } from './event-log.js';
import { defaultConfigDir } from './paths.js';
import { SETTINGS_FILE, SettingsStore, defaultSettings, loadSettings, type SettingsData } from './settings.js';

export class EngineContext {
  readonly configDir: string;
  readonly settingsPath: string;
  readonly clock: EngineClock;
  /** Cores of the machine: CPU shares are fractions of all of them. */
  readonly cores: number;
  /** The contract's events; a faulty listener must not break the engine. */
  readonly events = new Listeners<ContractEventArgs>(() => undefined);
  readonly log: EventLog;
  /** Keeps a repeated log entry (a limit hit, a denial, a warning) to one per 10 s per key. */
  readonly throttle: Throttle;
  /** The owner's settings: the parts change them in place, then save(). */
  data: SettingsData = defaultSettings();
  /** The engine is shutting down: timers and sources that fire now change nothing. */
  shuttingDown = false;
  /** null: the settings live in memory only (options.persistSettings false). */
  private readonly store: SettingsStore | null;
  private statePending = false;
  private stateSource: (() => FullState) | null = null;

  constructor(readonly options: EngineOptions) {
    this.configDir = path.resolve(options.configDir ?? defaultConfigDir());
    this.settingsPath = path.join(this.configDir, SETTINGS_FILE);
    this.clock = options.clock ?? realClock;
    this.cores = Math.max(1, Math.floor(options.cores ?? os.availableParallelism()));
    this.store = options.persistSettings === false ? null : new SettingsStore(this.settingsPath);
    this.log = new EventLog((entry) => this.events.emit('log', entry), () => this.clock.wallNow());
    this.throttle = new Throttle(10_000, () => this.clock.wallNow());
  }

  /** Reads settings.json; a file that cannot be used is moved aside, said in the log, and replaced by defaults. */
  async load(): Promise<void> {
    if (!this.store) return;
    const loaded = await loadSettings(this.settingsPath, this.clock.wallNow());
    this.data = loaded.data;
    if (loaded.corrupt) {
      this.log.add(
        'error',
        `settings file could not be used (${loaded.corrupt.reason}); it was kept as ${loaded.corrupt.movedTo} and defaults are in use`,
      );
    }
    if (loaded.created) await this.save();
  }

  async save(): Promise<void> {
    if (!this.store) return;
    try {
      await this.store.save(this.data);
    } catch (error) {
      this.log.add('error', `settings could not be saved to ${this.settingsPath}: ${(error as Error).message}`);
      throw new CommandError('internal', `settings could not be saved: ${(error as Error).message}`);
    }
  }

  /** Resolves when every save asked for has been written. */
  flush(): Promise<void> {
    return this.store ? this.store.flush() : Promise.resolve();
  }

  /** Where the whole state comes from when a `state` event goes out (the engine, which has every part). */
  setStateSource(source: () => FullState): void {
    this.stateSource = source;
  }

  /** Something the state shows changed: one `state` event goes out after the current task, however many changes it made. */
  stateChanged(): void {
    if (this.statePending || !this.stateSource) return;
    const source = this.stateSource;
    this.statePending = true;
    queueMicrotask(() => {
      this.statePending = false;
      // (built only for a listener: `interceptor run` has none until its app is added)
      if (this.events.has('state')) this.events.emit('state', source());
    });
  }
}
