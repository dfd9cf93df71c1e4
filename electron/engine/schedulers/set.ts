// The engine's set of schedulers: one per resource (cpu, netUp, netDown, disk, mem), with the
// policies and the CPU mechanism chosen in the settings: the kernel's CPU bandwidth control (a
// cgroup per app) where the system allows it, else ptrace stops.
import type { CpuEnforcement, EngineSettings } from '../../common/model.js';
import type { Resource } from '../../common/resources.js';
import { probeCgroupTree, removeStaleParents, type CgroupProbe } from '../cgroups/tree.js';
import type { Clock } from '../clock.js';
import { createSchedulers, type Schedulers } from './index.js';
import type { ResourceScheduler, SchedulerEvents } from './types.js';

export interface SchedulerSet {
  get(resource: Resource): ResourceScheduler;
  on<E extends keyof SchedulerEvents>(event: E, listener: SchedulerEvents[E]): void;
  dispose(): void;
  /** What enforces the CPU cap and shares. */
  readonly cpu: CpuEnforcement;
}

export interface SchedulerSetOptions {
  clock: Clock;
  cores: number;
  settings: EngineSettings;
  /** Where cgroups come from (tests); default: this machine's. */
  probeCgroups?: () => CgroupProbe;
}

const PTRACE_DETAIL = 'ptrace stops of each app in slices (sleeping threads are never stopped)';

export async function createSchedulerSet(options: SchedulerSetOptions): Promise<SchedulerSet | { error: string }> {
  const { settings } = options;
  let cpu: CpuEnforcement = { mechanism: 'ptrace', detail: PTRACE_DETAIL, unavailable: null };
  let tree = null;
  if (settings.cpuMechanism !== 'ptrace') {
    const probe = (options.probeCgroups ?? probeCgroupTree)();
    if (probe.ok) {
      tree = probe.tree;
      removeStaleParents(tree);
      cpu = { mechanism: 'cgroup', detail: tree.detail, unavailable: null };
    } else {
      cpu = { ...cpu, unavailable: probe.reason };
    }
  }
  let set: Schedulers;
  try {
    set = createSchedulers({
      clock: options.clock,
      ncpu: options.cores,
      cpuSliceMs: settings.cpuSliceMs,
      policies: settings.policies,
      catchUpEpochs: settings.catchUpEpochs,
      cgroupTree: tree,
      dualPriority: settings.cpuDualPriority,
    });
  } catch (error) {
    tree?.dispose();
    return { error: `the schedulers could not be created: ${(error as Error).message}` };
  }
  return {
    cpu,
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
