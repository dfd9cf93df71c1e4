// Stride scheduling (Waldspurger & Weihl, 1995): the classical proportional-share
// alternative to PNS. Each client has stride = 1/share and a pass; the ready client
// with the least pass runs and its pass advances by stride × allocations used.
// Classical behaviour on blocking: a client that wakes up joins at the current
// virtual time (least pass of the ready clients) — it does NOT catch up what it missed
// while blocked. That is exactly the difference PNS's Done ordering addresses.
// Share 0: background, served only when no client with a positive share is ready.
import { EPS, firstReady, type ClientId, type ClientStatus, type Policy, type PolicyOptions } from './policy.js';

interface Entry {
  id: ClientId;
  share: number;
  stride: number; // 1 / share (Infinity for share 0)
  pass: number;
  ready: boolean;
  received: number;
  /** Share 0: added to `received` for the order only, so a client brought level is not behind. */
  lead: number;
  seq: number;
  lastServed: number;
}

export class StridePolicy implements Policy {
  readonly name = 'stride' as const;
  private readonly entries = new Map<ClientId, Entry>();
  private seq = 0;
  private tick = 0;
  /** Virtual time: the pass the least-advanced ready client had when last served. */
  private vt = 0;

  // PolicyOptions accepted for a uniform factory; stride has no epoch and never catches up.
  constructor(_options: PolicyOptions = {}) {}

  add(id: ClientId, share: number): void {
    if (this.entries.has(id)) throw new Error(`stride: client ${id} already added`);
    const s = checkShare(share);
    this.entries.set(id, {
      id, share: s, stride: s > 0 ? 1 / s : Infinity, pass: this.virtualTime(), ready: false, received: 0, lead: 0, seq: this.seq++, lastServed: -1,
    });
  }

  remove(id: ClientId): void {
    this.entries.delete(id);
  }

  setShare(id: ClientId, share: number): void {
    const e = this.get(id);
    const s = checkShare(share);
    if (s === e.share) return;
    const vt = this.virtualTime();
    const newStride = s > 0 ? 1 / s : Infinity;
    // Scale what remains of the current allocation to the new stride (classical rule).
    if (Number.isFinite(e.stride) && Number.isFinite(newStride)) e.pass = vt + (e.pass - vt) * (newStride / e.stride);
    else e.pass = vt;
    e.share = s;
    e.stride = newStride;
  }

  ready(id: ClientId): void {
    const e = this.get(id);
    if (e.ready) return;
    // No catch-up: a client that slept does not get the allocations it missed.
    e.pass = Math.max(e.pass, this.virtualTime(id));
    e.ready = true;
  }

  blocked(id: ClientId): void {
    this.get(id).ready = false;
  }

  level(id: ClientId): void {
    const e = this.get(id);
    if (e.share > 0) {
      e.pass = Math.max(e.pass, this.virtualTime(id));
      return;
    }
    let min = Infinity;
    for (const o of this.entries.values()) if (o !== e && o.ready && o.share <= 0) min = Math.min(min, o.received + o.lead);
    if (Number.isFinite(min)) e.lead = Math.max(e.lead, min - e.received);
  }

  consumed(id: ClientId, amount: number): void {
    const e = this.entries.get(id);
    if (!e || !(amount > 0) || !Number.isFinite(amount)) return;
    e.received += amount;
    e.lastServed = this.tick++;
    if (e.share > 0) {
      this.vt = Math.max(this.vt, Math.min(e.pass, this.minReadyPass() ?? e.pass));
      e.pass += amount * e.stride;
    }
  }

  next(exclude?: ReadonlySet<ClientId>): ClientId | null {
    return firstReady(this.entries.values(), compare, exclude);
  }

  order(): { id: ClientId; concurrentWithHead: boolean }[] {
    const ready = [...this.entries.values()].filter((e) => e.ready).sort(compare);
    const head = ready[0];
    return ready.map((e) => ({
      id: e.id,
      // Level with the head: within the head's next allocation (its pass + its stride).
      concurrentWithHead:
        head !== undefined && (head.share > 0) === (e.share > 0) && (e.share <= 0 || e.pass < head.pass + head.stride - EPS),
    }));
  }

  status(id: ClientId): ClientStatus | null {
    const e = this.entries.get(id);
    if (!e) return null;
    return { id, share: e.share, ready: e.ready, received: e.received, done: null, rem: null };
  }

  private minReadyPass(except?: ClientId): number | null {
    let min = Infinity;
    for (const e of this.entries.values()) if (e.ready && e.share > 0 && e.id !== except) min = Math.min(min, e.pass);
    return Number.isFinite(min) ? min : null;
  }

  private virtualTime(except?: ClientId): number {
    return this.minReadyPass(except) ?? this.vt;
  }

  private get(id: ClientId): Entry {
    const e = this.entries.get(id);
    if (!e) throw new Error(`stride: unknown client ${id}`);
    return e;
  }
}

function checkShare(share: number): number {
  if (!Number.isFinite(share) || share < 0) throw new RangeError(`share must be a finite number ≥ 0, got ${share}`);
  return share;
}

function compare(a: Entry, b: Entry): number {
  const ca = a.share > 0 ? 0 : 1;
  const cb = b.share > 0 ? 0 : 1;
  if (ca !== cb) return ca - cb;
  if (ca === 0 && Math.abs(a.pass - b.pass) > EPS) return a.pass - b.pass;
  if (ca === 1 && Math.abs(a.received + a.lead - (b.received + b.lead)) > EPS) return a.received + a.lead - (b.received + b.lead);
  if (a.lastServed !== b.lastServed) return a.lastServed - b.lastServed;
  return a.seq - b.seq;
}
