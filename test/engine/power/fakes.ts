// Fakes for the power tests: a power_supply tree in a temp dir, a source set by hand,
// and timers the test ticks.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PowerReading, PowerSource, TimerFns } from '../../../electron/engine/power/index.js';

/** Writes <root>/class/power_supply/<name>/<attr> files. */
export function writeSupply(root: string, name: string, attrs: Record<string, string>): void {
  const dir = path.join(root, 'class', 'power_supply', name);
  mkdirSync(dir, { recursive: true });
  for (const [k, v] of Object.entries(attrs)) writeFileSync(path.join(dir, k), `${v}\n`);
}

export class ManualSource implements PowerSource {
  readonly name = 'test source';
  reading: PowerReading = { onBattery: false, idleSeconds: 0, locked: false };
  private listeners = new Set<() => void>();
  async read(): Promise<PowerReading> {
    return { ...this.reading };
  }
  watch(onChange: () => void): () => void {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  }
  /** Changes the reading and tells the watchers, as an event would. */
  set(r: Partial<PowerReading>): void {
    this.reading = { ...this.reading, ...r };
    for (const l of this.listeners) l();
  }
  get watchers(): number {
    return this.listeners.size;
  }
}

export class FakeTimers implements TimerFns {
  ticks: Array<() => void> = [];
  intervalMs: number | null = null;
  setInterval(cb: () => void, ms: number) {
    this.ticks.push(cb);
    this.intervalMs = ms;
    return this.ticks.length;
  }
  clearInterval(handle: unknown) {
    this.ticks.splice((handle as number) - 1, 1);
  }
  async tick() {
    for (const t of this.ticks) t();
    await flush();
  }
}

export const flush = () => new Promise((r) => setImmediate(r));
