// The policy interface (docs/ARCHITECTURE.md, "Mechanisms and policies"): pure,
// deterministic, no I/O and no timers.
// A scheduler (mechanism) tells the policy what happened; the policy decides who
// gets the next allocation. Swapping PNS for another policy touches nothing else.

export type ClientId = string;

export interface ClientStatus {
  id: ClientId;
  share: number; // nominal share S(Pi, τ), a weight ≥ 0 in the resource's unit
  ready: boolean;
  /** Allocations received since added (fractional: consumption is measured). */
  received: number;
  /** PNS bookkeeping when the policy has it (Done, Rem); other policies may report null. */
  done: number | null;
  rem: number | null;
}

export interface Policy {
  readonly name: PolicyName;
  add(id: ClientId, share: number): void;
  remove(id: ClientId): void;
  setShare(id: ClientId, share: number): void;
  /** The client requests the resource (runnable, or has a held call). Idempotent. */
  ready(id: ClientId): void;
  /** The client stopped requesting it (blocked on something else, paused, idle). Idempotent. */
  blocked(id: ClientId): void;
  /**
   * The client competes from now on level with the other ready clients: it is owed nothing for
   * what it did not receive before (an app an upper bound held back, policies/ceilings.ts).
   */
  level(id: ClientId): void;
  /** The client used `amount` allocations (1 = one whole allocation; may be fractional). */
  consumed(id: ClientId, amount: number): void;
  /**
   * Who gets the next allocation among ready clients not in `exclude`, or null.
   * Must not change state: the scheduler reports what was really used via consumed().
   */
  next(exclude?: ReadonlySet<ClientId>): ClientId | null;
  /**
   * Ready clients in the order the policy would serve them, each with whether it is
   * "level" with the head (may run concurrently with it without breaking shares).
   */
  order(): { id: ClientId; concurrentWithHead: boolean }[];
  status(id: ClientId): ClientStatus | null;
}

export type PolicyName = 'pns' | 'stride';

export interface PolicyOptions {
  /** PNS: the epoch length C in allocations (Av = C·S(Pi)). Default 100 (the paper's figures). */
  epoch?: number;
  /**
   * Bound on catch-up, in epochs: an app that becomes ready while its Done is more than
   * this many epochs behind the least Done of the other ready apps is moved up to that
   * distance (it forfeits the rest of what it missed). null (default) = unbounded, as in
   * the paper. Stride: the same bound in units of the client's own stride × epoch share.
   */
  catchUpEpochs?: number | null;
  /**
   * PNS: how apps with the same Done are multiplexed. 'roundRobin' (default): the least
   * recently served goes first — the paper's CPU examples (Fig. 3, Fig. 4). 'leastUsed':
   * the one that has used least of its current epoch goes first — the paper's rule for
   * disk and network ("increasing order w.r.t. the number of bytes").
   */
  tieBreak?: 'roundRobin' | 'leastUsed';
}

/** Tolerance for fractional (measured) consumption. */
export const EPS = 1e-9;

/** The head of a policy's queue: the ready client that sorts first, skipping `exclude`. */
export function firstReady<E extends { id: ClientId; ready: boolean }>(
  entries: Iterable<E>,
  compare: (a: E, b: E) => number,
  exclude?: ReadonlySet<ClientId>,
): ClientId | null {
  let best: E | null = null;
  for (const e of entries) {
    if (!e.ready || exclude?.has(e.id)) continue;
    if (best === null || compare(e, best) < 0) best = e;
  }
  return best ? best.id : null;
}
