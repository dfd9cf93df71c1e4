// The engine's public API: what the Electron shell, the headless server and the
// CLI use. Plain Node; imports nothing from 'electron'.
import type { Engine, EngineOptions } from './api.js';
import { EngineImpl } from './engine.js';

export type { Engine, EngineOptions } from './api.js';

export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  return EngineImpl.create(options);
}

export { CommandError } from '../common/contract.js';
