// What the engine core needs from the resource schedulers (mechanism side of
// DESIGN.md). Implementations: cpu.ts, bytes.ts (netUp, netDown, disk), memory.ts,
// exported from ./index.ts. Each takes a Clock and a Policy so it runs on a
// virtual clock against fake helpers in unit tests and on real helpers in production.
import type { HelperSession, CreditResource } from '../catcher/session.js';

export interface SchedulerEvents {
  /** An app sits at the owner's cap (demand waits because of C2), rate-limited by the scheduler. */
  limitHit: (appId: string, resource: 'cpu' | CreditResource) => void;
  /** A memory request was refused (the helper's `denied`). */
  memDenied: (appId: string, bytes: number, syscall: string) => void;
}

export interface ResourceScheduler {
  /** Start scheduling an app whose helper is connected. share in the resource's unit. */
  addApp(appId: string, session: HelperSession, share: number): void;
  removeApp(appId: string): void;
  setShare(appId: string, share: number): void;
  /** The owner's cap S(P2P, τ) in the resource's unit; null = no cap. Takes effect at once. */
  setCap(cap: number | null): void;
  /** Owner pause of one app: it receives nothing until resumed (CPU: stopped). */
  setPaused(appId: string, paused: boolean): void;
  dispose(): void;
}
