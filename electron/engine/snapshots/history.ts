// The snapshots of the last minutes, for the charts of a dashboard that (re)connects.
import type { Snapshot } from '../../common/model.js';

/** Bounded history of snapshots for the charts. */
export class SnapshotHistory {
  private ring: Snapshot[] = [];
  constructor(private capacity: number) {}
  setCapacity(capacity: number): void {
    this.capacity = Math.max(1, capacity);
    if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity);
  }
  push(s: Snapshot): void {
    this.ring.push(s);
    if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity);
  }
  since(tMs: number): Snapshot[] {
    let i = this.ring.length;
    while (i > 0 && this.ring[i - 1]!.t >= tMs) i--;
    return this.ring.slice(i);
  }
}
