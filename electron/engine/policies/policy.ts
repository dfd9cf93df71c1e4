// The policy interface of DESIGN.md: pure, deterministic, no I/O and no timers.
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
  readonly name: string;
  add(id: ClientId, share: number): void;
  remove(id: ClientId): void;
  setShare(id: ClientId, share: number): void;
  /** The client requests the resource (runnable, or has a held call). */
  ready(id: ClientId): void;
  /** The client stopped requesting it (blocked on something else, paused, idle). */
  blocked(id: ClientId): void;
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
