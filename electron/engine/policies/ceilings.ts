// PNS with upper bounds (per-app ceilings): pure, deterministic, time given by the caller.
//
// PNS orders who gets the next allocation; a ceiling only takes an app out of the queue while it
// has received its ceiling's worth: each app with a ceiling has a token bucket filled at the
// ceiling's rate, charged with what it receives. An app whose bucket is empty is skipped, so
// the allocation goes to the next app in PNS order: unused capacity goes to the others
// (work conservation), and an app never receives more than its ceiling, give or take one bucket.
import type { ClientId, Policy } from './policy.js';

interface Bucket {
  rate: number; // units per ms
  capacity: number; // units
  tokens: number;
  at: number; // ms of the last refill
}

export class CeilingBuckets {
  private readonly buckets = new Map<ClientId, Bucket>();

  /** burstMs: how much of a ceiling may be saved up and received at once (its bucket, in ms of the ceiling). */
  constructor(private readonly burstMs: number) {
    if (!(burstMs > 0)) throw new RangeError('burstMs must be > 0');
  }

  /** An app's ceiling in units per ms; null lifts it. A new ceiling starts with an empty bucket (no burst). */
  set(id: ClientId, ratePerMs: number | null, now: number): void {
    if (ratePerMs === null) {
      this.buckets.delete(id);
      return;
    }
    if (!Number.isFinite(ratePerMs) || ratePerMs < 0) throw new RangeError(`ceiling must be a finite rate ≥ 0, got ${ratePerMs}`);
    const b = this.buckets.get(id);
    const capacity = ratePerMs * this.burstMs;
    if (b) {
      this.refill(b, now);
      Object.assign(b, { rate: ratePerMs, capacity, tokens: Math.min(b.tokens, capacity) });
    } else {
      this.buckets.set(id, { rate: ratePerMs, capacity, tokens: 0, at: now });
    }
  }

  has(id: ClientId): boolean {
    return this.buckets.has(id);
  }

  get size(): number {
    return this.buckets.size;
  }

  /** The ceiling's rate (units per ms), or null. */
  rate(id: ClientId): number | null {
    return this.buckets.get(id)?.rate ?? null;
  }

  /** What the app may still receive now (Infinity without a ceiling; may be negative after an overshoot). */
  available(id: ClientId, now: number): number {
    const b = this.buckets.get(id);
    if (!b) return Infinity;
    this.refill(b, now);
    return b.tokens;
  }

  /** It received `amount` (or, negative, gives back what a reservation did not use). */
  charge(id: ClientId, amount: number, now: number): void {
    const b = this.buckets.get(id);
    if (!b || !Number.isFinite(amount)) return;
    this.refill(b, now);
    b.tokens = Math.min(b.capacity, b.tokens - amount);
  }

  /** Milliseconds until the app may receive `need` (0 now; Infinity for a ceiling of 0). */
  waitMs(id: ClientId, need: number, now: number): number {
    const b = this.buckets.get(id);
    if (!b) return 0;
    this.refill(b, now);
    if (b.tokens >= need) return 0;
    return b.rate > 0 ? (need - b.tokens) / b.rate : Infinity;
  }

  /** The apps at their ceiling now (`need` not available): to exclude from PNS's next(). */
  excluded(need: (id: ClientId) => number, now: number): Set<ClientId> {
    const out = new Set<ClientId>();
    for (const id of this.buckets.keys()) if (this.available(id, now) < need(id)) out.add(id);
    return out;
  }

  remove(id: ClientId): void {
    this.buckets.delete(id);
  }

  private refill(b: Bucket, now: number): void {
    if (now > b.at) b.tokens = Math.min(b.capacity, b.tokens + (now - b.at) * b.rate);
    b.at = Math.max(b.at, now);
  }
}

/**
 * What each app receives of `capacity` when all ask continuously, under PNS with ceilings: in
 * proportion to the policy shares, except that no app receives more than its ceiling, and what
 * a ceiling leaves is shared by the others in the same proportion (water filling). The
 * reference the schedulers' tests compare with.
 */
export function ceiledAllocation(
  capacity: number,
  shares: ReadonlyMap<ClientId, number>,
  ceilings: ReadonlyMap<ClientId, number | null>,
): Map<ClientId, number> {
  const out = new Map<ClientId, number>();
  const open = new Set(shares.keys());
  let left = capacity;
  for (;;) {
    let sum = 0;
    for (const id of open) sum += shares.get(id)!;
    let bounded = false;
    for (const id of open) {
      const part = sum > 0 ? (left * shares.get(id)!) / sum : left / open.size;
      const ceiling = ceilings.get(id) ?? null;
      if (ceiling !== null && ceiling < part) {
        out.set(id, ceiling);
        left -= ceiling;
        open.delete(id);
        bounded = true;
      }
    }
    if (bounded && open.size > 0) continue;
    for (const id of open) out.set(id, sum > 0 ? (left * shares.get(id)!) / sum : left / open.size);
    return out;
  }
}

/**
 * An app's ceiling changed: it competes from now on level with the others. Held by its ceiling,
 * its Done fell behind theirs, and PNS would otherwise let it catch up on all that the owner's
 * ceiling kept from it (catch-up is for an app that blocked, not for one that was bounded).
 */
export function rejoin(policy: Policy, id: ClientId): void {
  if (policy.status(id)) policy.level(id);
}
