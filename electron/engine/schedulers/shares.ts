// How the CPU budget is split among apps, whatever enforces it (ptrace slices in cpu.ts, cgroup
// weights in cpu-cgroup.ts). Pure.

/** A nominal share as given: a finite number ≥ 0 in the resource's unit. */
export function checkShare(share: number): number {
  if (!Number.isFinite(share) || share < 0) throw new RangeError(`share must be a finite number ≥ 0, got ${share}`);
  return share;
}

/**
 * The policy's share of each app, as a fraction of the P2P budget: its nominal share plus an
 * equal part of what the nominal shares leave of the cap, at least `minShareOfCap` of the cap.
 * No app starves: one with nominal share 0 ("it only gets what the others leave") still has a
 * share of its own, so an I/O-bound client beside a CPU hog keeps moving data. With shares that
 * sum to the cap and none below the floor (the paper's Fig. 5) these are the nominal shares.
 */
export function policyShares(shares: ReadonlyMap<string, number>, cap: number | null, minShareOfCap: number): Map<string, number> {
  const c = cap ?? 0;
  let sum = 0;
  for (const s of shares.values()) sum += s;
  const spare = Math.max(0, c - sum) / Math.max(1, shares.size);
  const effective = new Map<string, number>();
  let total = 0;
  for (const [id, s] of shares) {
    const e = Math.max(s + spare, minShareOfCap * c);
    effective.set(id, e);
    total += e;
  }
  const base = Math.max(c, total);
  for (const [id, e] of effective) effective.set(id, base > 0 ? e / base : 0);
  return effective;
}

export interface BudgetClaim {
  /** Its weight (policy share, with any PNS catch-up boost). */
  weight: number;
  /** What it would use (cores); Infinity when it was held back and wants more. */
  demand: number;
}

/**
 * How much of `budget` (cores) each app may use until the next decision: its guaranteed part
 * (budget × weight / Σ weights, available the moment it asks, whatever the others do), plus a
 * part of what the others leave unused, in proportion to its weight and up to what it asks
 * (water filling). The sum can exceed the budget by the guarantees left unused: the parent's
 * quota still holds the total to the budget.
 */
export function splitBudget(budget: number, claims: ReadonlyMap<string, BudgetClaim>): Map<string, number> {
  let total = 0;
  for (const c of claims.values()) total += Math.max(0, c.weight);
  const out = new Map<string, number>();
  const want = new Map<string, number>(); // beyond the guarantee
  let pool = budget;
  for (const [id, c] of claims) {
    const guarantee = total > 0 ? (budget * Math.max(0, c.weight)) / total : 0;
    out.set(id, guarantee);
    pool -= Math.min(guarantee, c.demand);
    if (c.demand > guarantee) want.set(id, c.demand - guarantee);
  }
  // water filling of the pool among the apps that want more
  while (pool > 1e-12 && want.size > 0) {
    let w = 0;
    for (const id of want.keys()) w += Math.max(0, claims.get(id)!.weight);
    if (w <= 0) break;
    let capped = false;
    for (const [id, rest] of want) {
      const part = (pool * Math.max(0, claims.get(id)!.weight)) / w;
      if (part >= rest) {
        out.set(id, out.get(id)! + rest);
        pool -= rest;
        want.delete(id);
        capped = true;
      }
    }
    if (capped) continue;
    for (const [id] of want) out.set(id, out.get(id)! + (pool * Math.max(0, claims.get(id)!.weight)) / w);
    break;
  }
  return out;
}
