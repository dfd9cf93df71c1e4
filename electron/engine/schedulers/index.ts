// The resource schedulers (mechanism side): one per resource, each driving the helpers of
// the apps it schedules with a policy. createSchedulers builds the five of them from
// EngineSettings-like options (./set.ts: the engine's set, with the CPU mechanism chosen).
import type { Clock } from '../clock.js';
import type { PolicyName } from '../policies/index.js';
import type { CgroupTree } from '../cgroups/tree.js';
import { ByteScheduler } from './bytes.js';
import { CpuScheduler } from './cpu.js';
import { CgroupCpuScheduler } from './cpu-cgroup.js';
import { MemoryScheduler } from './memory.js';
import { schedulerPolicy } from './policy.js';

export type { ResourceScheduler, SchedulerEvents, SchedulerAppStatus, SchedulerResource } from './types.js';
export { CpuScheduler, type CpuSchedulerOptions, type CpuSchedulerStats } from './cpu.js';
export { CgroupCpuScheduler, type CgroupCpuSchedulerOptions } from './cpu-cgroup.js';
export { ByteScheduler, type ByteSchedulerOptions, type ByteSchedulerStats } from './bytes.js';
export { MemoryScheduler, type MemorySchedulerOptions } from './memory.js';
export { SCHEDULER_EPOCH, schedulerPolicy } from './policy.js';

export interface SchedulersOptions {
  clock: Clock;
  ncpu: number;
  /** CPU allocation length in ms (EngineSettings.cpuSliceMs; default 20). */
  cpuSliceMs?: number;
  /** Policy per resource (EngineSettings.policies; default PNS everywhere). */
  policies?: { cpu?: PolicyName; net?: PolicyName; disk?: PolicyName };
  /** PNS bound on catch-up in epochs (EngineSettings.catchUpEpochs; null/undefined = unbounded, as in the paper). */
  catchUpEpochs?: number | null;
  /** Enforce the CPU with this cgroup tree (kernel bandwidth control) instead of ptrace slices. */
  cgroupTree?: CgroupTree | null;
  /** The paper's dual priority: with cgroups, the parent's weight is the kernel's highest (default true). */
  dualPriority?: boolean;
}

/** The five schedulers, by resource. */
export interface Schedulers {
  cpu: CpuScheduler | CgroupCpuScheduler;
  netUp: ByteScheduler;
  netDown: ByteScheduler;
  disk: ByteScheduler;
  mem: MemoryScheduler;
}

export function createSchedulers(options: SchedulersOptions): Schedulers {
  const p = options.policies ?? {};
  const policy = (name: PolicyName | undefined) => schedulerPolicy(name ?? 'pns', options.catchUpEpochs ?? null);
  return {
    cpu: options.cgroupTree
      ? new CgroupCpuScheduler({
        clock: options.clock, ncpu: options.ncpu, sliceMs: options.cpuSliceMs, tree: options.cgroupTree,
        policy: policy(p.cpu), dualPriority: options.dualPriority,
      })
      : new CpuScheduler({ clock: options.clock, ncpu: options.ncpu, sliceMs: options.cpuSliceMs, policy: policy(p.cpu) }),
    netUp: new ByteScheduler('netUp', { clock: options.clock, policy: policy(p.net) }),
    netDown: new ByteScheduler('netDown', { clock: options.clock, policy: policy(p.net) }),
    disk: new ByteScheduler('disk', { clock: options.clock, policy: policy(p.disk) }),
    mem: new MemoryScheduler(),
  };
}
