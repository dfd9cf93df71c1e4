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
