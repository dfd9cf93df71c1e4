// What the engine core needs from the resource schedulers (the mechanism side, see
// docs/ARCHITECTURE.md). Implementations: cpu.ts, bytes.ts (netUp, netDown, disk), memory.ts,
// exported from ./index.ts. Each takes a Clock and a Policy so it runs on a
// virtual clock against fake helpers in unit tests and on real helpers in production.
import { EventSource } from '../../common/rpc.js';
import type { HelperSession, CreditResource } from '../catcher/session.js';

export type SchedulerResource = 'cpu' | CreditResource | 'mem';

export interface SchedulerEvents {
  /** An app sits at the owner's cap (demand waits because of C2), rate-limited by the scheduler. */
  limitHit: (appId: string, resource: 'cpu' | CreditResource) => void;
  /** A memory request was refused (the helper's `denied`). */
  memDenied: (appId: string, bytes: number, syscall: string) => void;
  /** Something the owner should know: a cap could not be put in force on an app (why in the message). */
  warning: (appId: string, message: string) => void;
}

/** Policy bookkeeping of one app, for snapshots and tests. */
export interface SchedulerAppStatus {
  /** Nominal share as given (resource unit). */
  share: number;
  /** Allocations charged to the app (CPU: slices of measured CPU; bytes: chunks). */
  allocations: number;
  /** PNS Done / Rem (null for other policies or for memory). */
  done: number | null;
  rem: number | null;
  /** Wants the resource now (CPU: runnable, not dispatched; bytes: a call is held for credit). */
  waiting: boolean;
  /** CPU: for how long it has been waiting without being dispatched (ms; 0 when not waiting). */
  waitingMs?: number;
  paused: boolean;
  /** Memory: the ceiling in force (bytes); others: the app's own ceiling, null = none. */
  ceiling: number | null;
}

export interface ResourceScheduler {
  readonly resource: SchedulerResource;
  /** Start scheduling an app whose helper is connected. share and ceiling in the resource's unit. */
  addApp(appId: string, session: HelperSession, share: number, ceiling?: number | null): void;
  removeApp(appId: string): void;
  setShare(appId: string, share: number): void;
  /** The app's ceiling (the most it receives, in the resource's unit); null = none. Takes effect at once. */
  setCeiling(appId: string, ceiling: number | null): void;
  /** The owner's cap S(P2P, τ) in the resource's unit; null = no cap. Takes effect at once. */
  setCap(cap: number | null): void;
  /** Owner pause of one app: it receives nothing until resumed (CPU: stopped). */
  setPaused(appId: string, paused: boolean): void;
  /** Policy bookkeeping of one app, or null if unknown. */
  appStatus(appId: string): SchedulerAppStatus | null;
  on<E extends keyof SchedulerEvents>(event: E, listener: SchedulerEvents[E]): this;
  off<E extends keyof SchedulerEvents>(event: E, listener: SchedulerEvents[E]): this;
  dispose(): void;
}

/** The base of every scheduler: its events (SchedulerEvents) with Node's on/off shape. */
export class SchedulerEmitter extends EventSource<SchedulerEvents> {}

/** Swallow a rejected helper command (the session closed under us); never an unhandled rejection. */
export function ignore(p: Promise<unknown>): void {
  p.catch(() => {});
}
