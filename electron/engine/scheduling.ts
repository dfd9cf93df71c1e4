// One scheduler per resource (cpu, netUp, netDown, disk, mem), built by the schedulers
// module (owned by the policies engineer) with the policies chosen in the settings.
import type { EngineSettings } from '../common/model.js';
import type { Resource } from '../common/resources.js';
import type { Clock } from './clock.js';
import { createSchedulers, type ResourceScheduler, type SchedulerEvents } from './schedulers/index.js';

export interface SchedulerSet {
  get(resource: Resource): ResourceScheduler;
  on<E extends keyof SchedulerEvents>(event: E, listener: SchedulerEvents[E]): void;
  dispose(): void;
}

export interface SchedulerSetOptions {
  clock: Clock;
  cores: number;
  settings: EngineSettings;
}

export async function createSchedulerSet(options: SchedulerSetOptions): Promise<SchedulerSet | { error: string }> {
  let set: Record<Resource, ResourceScheduler>;
  try {
    set = createSchedulers({
      clock: options.clock,
      ncpu: options.cores,
      cpuSliceMs: options.settings.cpuSliceMs,
      policies: options.settings.policies,
    });
  } catch (error) {
    return { error: `the schedulers could not be created: ${(error as Error).message}` };
  }
  return {
    get: (r) => set[r],
    on(event, listener) {
      for (const s of Object.values(set)) s.on(event, listener);
    },
    dispose() {
      for (const s of Object.values(set)) {
        try {
          s.dispose();
        } catch {
          // keep disposing the others
        }
      }
    },
  };
}
