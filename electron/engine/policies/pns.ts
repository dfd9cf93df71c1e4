// PNS — Proportional Number of Slices (paper, section 3.3).
//
// Epochs of C allocations: an app with nominal share S(Pi) should receive at least
// Av = C·S(Pi) allocations per epoch while it asks for the resource. Each app has
// Rem (allocations still due in its current epoch) and Done (epochs it completed).
// The request queue is ordered by Done first, so an app that blocked has a lower Done
// and catches up when it wakes (Fig. 4); apps with the same Done are multiplexed:
// round robin (least recently served first, the CPU examples of Fig. 3/4) or, for byte
// allocations, least used of the current epoch first ("increasing order of bytes").
//
// Allocations may be fractional (measured CPU time, bytes / chunk): Rem carries over
// across epoch boundaries so the long-run ratio is exact.
//
// Beyond the paper (documented choices):
// - An app added later joins at the least Done of the apps present, with a full Rem,
//   not at Done = 0 (otherwise it would "catch up" epochs it never was around for).
// - Optional bound on catch-up (PolicyOptions.catchUpEpochs).
// - Share 0: the app gets allocations only when no app with a positive share is ready
//   (background), round robin among such apps.
import { EPS, firstReady, type ClientId, type ClientStatus, type Policy, type PolicyOptions } from './policy.js';

interface Entry {
  id: ClientId;
  share: number;
  av: number; // Av = C·S(Pi)
  rem: number; // Rem(Pi)
  done: number; // Done(Pi)
  ready: boolean;
  received: number;
  /** Share 0: added to `received` for the order only, so a client brought level is not behind. */
  lead: number;
  seq: number; // insertion order: final tie-break, deterministic
  lastServed: number; // logical time of the last consumption (round-robin tie-break)
}

export const DEFAULT_EPOCH = 100;

export class PnsPolicy implements Policy {
  readonly name = 'pns' as const;
  readonly epoch: number;
  readonly catchUpEpochs: number | null;
  readonly tieBreak: 'roundRobin' | 'leastUsed';
  private readonly entries = new Map<ClientId, Entry>();
  private seq = 0;
  private tick = 0;

  constructor(options: PolicyOptions = {}) {
    this.epoch = options.epoch ?? DEFAULT_EPOCH;
    this.catchUpEpochs = options.catchUpEpochs ?? null;
    this.tieBreak = options.tieBreak ?? 'roundRobin';
    if (!(this.epoch > 0) || !Number.isFinite(this.epoch)) throw new RangeError('epoch must be > 0');
    if (this.catchUpEpochs !== null && !(this.catchUpEpochs >= 0)) throw new RangeError('catchUpEpochs must be ≥ 0');
  }

  add(id: ClientId, share: number): void {
    if (this.entries.has(id)) throw new Error(`pns: client ${id} already added`);
    const s = checkShare(share);
    const e: Entry = { id, share: s, av: this.epoch * s, rem: 0, done: 0, ready: false, received: 0, lead: 0, seq: this.seq++, lastServed: -1 };
    e.rem = e.av;
    e.done = this.joinDone(id);
    this.entries.set(id, e);
  }

  remove(id: ClientId): void {
    this.entries.delete(id);
  }

  setShare(id: ClientId, share: number): void {
    const e = this.get(id);
    const s = checkShare(share);
    if (s === e.share) return;
    const wasPositive = e.share > 0;
    const used = e.av - e.rem; // keep what was used of the current epoch
    e.share = s;
    e.av = this.epoch * s;
    if (s === 0) {
      e.rem = 0;
    } else if (!wasPositive) {
      e.done = this.joinDone(id);
      e.rem = e.av;
    } else {
      e.rem = e.av - used;
      this.rollEpochs(e);
    }
  }

  ready(id: ClientId): void {
    const e = this.get(id);
    if (e.ready) return;
    if (this.catchUpEpochs !== null && e.share > 0) {
      // Bounded catch-up: never more than catchUpEpochs behind the least Done of the others.
      let min = Infinity;
      for (const o of this.entries.values()) if (o !== e && o.ready && o.share > 0) min = Math.min(min, o.done);
      if (Number.isFinite(min) && e.done < min - this.catchUpEpochs) {
        e.done = min - this.catchUpEpochs;
        e.rem = e.av;
      }
    }
    e.ready = true;
  }

  blocked(id: ClientId): void {
    this.get(id).ready = false;
  }

  level(id: ClientId): void {
    const e = this.get(id);
    // level with the ready apps of its class, or (none ready at this instant: an app between
    // two grants is not) with every present one, as an app that joins
    if (e.share > 0) {
      const min = this.joinDone(id);
      if (e.done < min) {
        e.done = min;
        e.rem = e.av;
      }
      return;
    }
    const min = this.leastOthers(id, false, (o) => o.received + o.lead);
    if (min !== null) e.lead = Math.max(e.lead, min - e.received);
  }

  consumed(id: ClientId, amount: number): void {
    const e = this.entries.get(id);
    if (!e || !(amount > 0) || !Number.isFinite(amount)) return;
    e.received += amount;
    e.lastServed = this.tick++;
    if (e.share > 0) {
      e.rem -= amount;
      this.rollEpochs(e);
    }
  }

  next(exclude?: ReadonlySet<ClientId>): ClientId | null {
    return firstReady(this.entries.values(), (a, b) => this.compare(a, b), exclude);
  }

  order(): { id: ClientId; concurrentWithHead: boolean }[] {
    const ready = [...this.entries.values()].filter((e) => e.ready).sort((a, b) => this.compare(a, b));
    const head = ready[0];
    return ready.map((e) => ({
      id: e.id,
      concurrentWithHead: head !== undefined && cls(e) === cls(head) && (cls(e) === 1 || e.done === head.done),
    }));
  }

  status(id: ClientId): ClientStatus | null {
    const e = this.entries.get(id);
    if (!e) return null;
    return { id, share: e.share, ready: e.ready, received: e.received, done: e.done, rem: e.rem };
  }

  /** The PNS queue order: class, Done ascending, then the tie-break, then insertion. */
  private compare(a: Entry, b: Entry): number {
    const ca = cls(a);
    const cb = cls(b);
    if (ca !== cb) return ca - cb;
    if (ca === 0) {
      if (a.done !== b.done) return a.done - b.done;
      if (this.tieBreak === 'leastUsed') {
        const ua = a.av - a.rem;
        const ub = b.av - b.rem;
        if (Math.abs(ua - ub) > EPS) return ua - ub;
      }
    } else if (Math.abs(a.received + a.lead - (b.received + b.lead)) > EPS) {
      return a.received + a.lead - (b.received + b.lead);
    }
    if (a.lastServed !== b.lastServed) return a.lastServed - b.lastServed;
    return a.seq - b.seq;
  }

  /** Rem ≤ 0: the app completed its epoch (one or several, with fractional overshoot). */
  private rollEpochs(e: Entry): void {
    if (e.av <= 0 || e.rem > EPS) return;
    const k = Math.floor((EPS - e.rem) / e.av) + 1;
    e.done += k;
    e.rem += k * e.av;
  }

  /** Done for an app that starts competing now: level with the least-advanced present app. */
  private joinDone(self: ClientId): number {
    return this.leastOthers(self, true, (o) => o.done) ?? 0;
  }

  /** The least `value` of the other apps of a class (share > 0, or share 0) that are ready, else
   *  of all of them; null if there are none. */
  private leastOthers(self: ClientId, positive: boolean, value: (o: Entry) => number): number | null {
    let minReady = Infinity;
    let minAll = Infinity;
    for (const o of this.entries.values()) {
      if (o.id === self || o.share > 0 !== positive) continue;
      minAll = Math.min(minAll, value(o));
      if (o.ready) minReady = Math.min(minReady, value(o));
    }
    if (Number.isFinite(minReady)) return minReady;
    return Number.isFinite(minAll) ? minAll : null;
  }

  private get(id: ClientId): Entry {
    const e = this.entries.get(id);
    if (!e) throw new Error(`pns: unknown client ${id}`);
    return e;
  }
}

function checkShare(share: number): number {
  if (!Number.isFinite(share) || share < 0) throw new RangeError(`share must be a finite number ≥ 0, got ${share}`);
  return share;
}

/** 0: positive share (PNS proper), 1: share 0 (background). */
function cls(e: Entry): number {
  return e.share > 0 ? 0 : 1;
}

