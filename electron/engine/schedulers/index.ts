// The resource schedulers the engine core hosts (mechanism side), and a factory that
// builds the five of them from EngineSettings-like options.
import type { Clock } from '../clock.js';
import { createPolicy, type PolicyName, type PolicyOptions } from '../policies/index.js';
import type { CgroupTree } from '../cgroups/tree.js';
import { ByteScheduler } from './bytes.js';
import { CpuScheduler } from './cpu.js';
import { CgroupCpuScheduler } from './cpu-cgroup.js';
import { MemoryScheduler } from './memory.js';

export type { ResourceScheduler, SchedulerEvents, SchedulerAppStatus, SchedulerResource } from './types.js';
export { CpuScheduler, type CpuSchedulerOptions, type CpuSchedulerStats } from './cpu.js';
export { CgroupCpuScheduler, type CgroupCpuSchedulerOptions } from './cpu-cgroup.js';
export { ByteScheduler, type ByteSchedulerOptions, type ByteSchedulerStats } from './bytes.js';
export { MemoryScheduler, type MemorySchedulerOptions } from './memory.js';

export interface SchedulerSetOptions {
  clock: Clock;
  ncpu: number;
  /** CPU allocation length in ms (EngineSettings.cpuSliceMs; default 20). */
  cpuSliceMs?: number;
  /** Policy per resource (EngineSettings.policies; default PNS everywhere). */
  policies?: { cpu?: PolicyName; net?: PolicyName; disk?: PolicyName };
  /** PNS bound on catch-up in epochs (null/undefined = unbounded, as in the paper). */
  catchUpEpochs?: number | null;
  /** PNS epoch length C in allocations (default SCHEDULER_EPOCH = 20). */
  epoch?: number;
  /** Enforce the CPU with this cgroup tree (kernel bandwidth control) instead of ptrace slices. */
  cgroupTree?: CgroupTree | null;
  /** The paper's dual priority: with cgroups, the parent's weight is the kernel's highest (default true). */
  dualPriority?: boolean;
}

/**
 * The schedulers' PNS epoch C. The paper's C = 100 (kept as the policy default for the
 * Fig. 3/4 examples) bounds an app's short-term lag by one epoch quota Av = C·S; with
 * C = 20 that bound is 5× tighter (e.g. ≤ 0.2 % of the machine over a 10 s window at a
 * 0.3 cap) and nothing else changes: ratios, catch-up and C2 are the same.
 */
export const SCHEDULER_EPOCH = 20;

export interface SchedulerSet {
  cpu: CpuScheduler | CgroupCpuScheduler;
  netUp: ByteScheduler;
  netDown: ByteScheduler;
  disk: ByteScheduler;
  mem: MemoryScheduler;
}

export function createSchedulers(options: SchedulerSetOptions): SchedulerSet {
  const p = options.policies ?? {};
  // Allocations are measured (CPU time, bytes), so same-Done apps are multiplexed by use.
  const base: PolicyOptions = { epoch: options.epoch ?? SCHEDULER_EPOCH, catchUpEpochs: options.catchUpEpochs ?? null, tieBreak: 'leastUsed' };
  return {
    cpu: options.cgroupTree
      ? new CgroupCpuScheduler({
        clock: options.clock, ncpu: options.ncpu, sliceMs: options.cpuSliceMs, tree: options.cgroupTree,
        policy: createPolicy(p.cpu ?? 'pns', base), dualPriority: options.dualPriority,
      })
      : new CpuScheduler({ clock: options.clock, ncpu: options.ncpu, sliceMs: options.cpuSliceMs, policy: createPolicy(p.cpu ?? 'pns', base) }),
    netUp: new ByteScheduler('netUp', { clock: options.clock, policy: createPolicy(p.net ?? 'pns', base) }),
    netDown: new ByteScheduler('netDown', { clock: options.clock, policy: createPolicy(p.net ?? 'pns', base) }),
    disk: new ByteScheduler('disk', { clock: options.clock, policy: createPolicy(p.disk ?? 'pns', base) }),
    mem: new MemoryScheduler(),
  };
}
