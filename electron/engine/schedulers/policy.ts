// The policy every resource scheduler runs: PNS (or stride, as the settings say) with the
// schedulers' epoch, the owner's bound on catch-up, and the tie-break of measured allocations.
import { createPolicy, type Policy, type PolicyName } from '../policies/index.js';

/**
 * The schedulers' PNS epoch C. The paper's C = 100 (kept as the policy default for the
 * Fig. 3/4 examples) bounds an app's short-term lag by one epoch quota Av = C·S; with
 * C = 20 that bound is 5× tighter (e.g. ≤ 0.2 % of the machine over a 10 s window at a
 * 0.3 cap) and nothing else changes: ratios, catch-up and C2 are the same.
 */
export const SCHEDULER_EPOCH = 20;

/**
 * A scheduler's policy. catchUpEpochs: PNS's bound on catch-up (EngineSettings.catchUpEpochs;
 * null = unbounded, as in the paper). Allocations are measured (CPU time, bytes), so apps with
 * the same Done are multiplexed by use ('leastUsed'), not by number of allocations.
 */
export function schedulerPolicy(name: PolicyName = 'pns', catchUpEpochs: number | null = null): Policy {
  return createPolicy(name, { epoch: SCHEDULER_EPOCH, catchUpEpochs, tieBreak: 'leastUsed' });
}
