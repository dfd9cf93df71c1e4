// Test helpers: a seeded PRNG and a simulated single CPU on a virtual clock.
import type { Policy } from '../../../electron/engine/policies/policy.js';

/** mulberry32: small, fast, seeded, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `steps` allocations of a fully available CPU: returns who got each (1-indexed time = index + 1). */
export function runAllocations(policy: Policy, steps: number, before?: (t: number) => void): (string | null)[] {
  const trace: (string | null)[] = [];
  for (let t = 1; t <= steps; t++) {
    before?.(t);
    const id = policy.next();
    trace.push(id);
    if (id !== null) policy.consumed(id, 1);
  }
  return trace;
}

export function count(trace: readonly (string | null)[], id: string, from = 1, to = trace.length): number {
  let n = 0;
  for (let t = from; t <= to; t++) if (trace[t - 1] === id) n++;
  return n;
}
