// The engine's view of one native helper (one P2P app), as typed events and commands.
// The wire format is native/PROTOCOL.md; the implementation is ./helper-session.ts.
// Schedulers depend on this interface only, so they can be tested against a fake.

export type CreditResource = 'netUp' | 'netDown' | 'disk';
export const CREDIT_RESOURCES: readonly CreditResource[] = ['netUp', 'netDown', 'disk'];

export interface HelperFeatures {
  seccomp: boolean;
  ptraceSeize: boolean;
  userNotif: boolean;
  rt: boolean;
  pidfd: boolean;
  /** read/write calls go through seccomp user notification (the fast path), not ptrace stops. */
  notifPath: boolean;
  /** the notification listener wakes the helper on the app's CPU (Linux 6.6+). */
  notifSyncWake: boolean;
  /** send/recv-family calls are performed by the helper on the notification path (Linux 5.19+). */
  sockNotif: boolean;
}

export interface HelperHello {
  version: number;
  helperPid: number;
  appPid: number;
  features: HelperFeatures;
  ncpu: number;
  /** The app's own cgroup v2 directory, where its UDP is counted while untrapped (null: none). */
  udpCgroup: string | null;
  /** Why its UDP is not counted while it is untrapped (no cgroup v2 hierarchy, not root...); null: it is, or it runs trapped. */
  udpUncounted: string | null;
}

/** Cumulative counters of the app's whole process tree (see PROTOCOL.md `usage`). */
export interface HelperUsage {
  t: number; // CLOCK_MONOTONIC ms on the helper's side
  cpuNs: number;
  netUp: number;
  netDown: number;
  diskRead: number;
  diskWrite: number;
  memBytes: number;
  heldNetUp: number;
  heldNetDown: number;
  heldDisk: number;
  heldCalls: number;
  threads: number;
  processes: number;
  cpuState: 'stopped' | 'running' | 'free';
  /** Each byte resource's credit in the helper now (negative: debt). */
  credit: Record<CreditResource, number>;
  /** Cumulative bytes of the grants the helper has received, per resource. */
  granted: Record<CreditResource, number>;
}

export interface SliceResult {
  /** CPU the tree used since the previous slice or stop ended (all threads, all cores). */
  cpuNs: number;
  wallNs: number;
  ended: 'timer' | 'stop' | 'exit';
  /** Threads still runnable when the slice was stopped; 0 = the whole tree was asleep (blocked). null: not reported. */
  runnable: number | null;
}

export interface HelperEvents {
  usage: (usage: HelperUsage) => void;
  demand: (resource: CreditResource, bytes: number) => void;
  /** A thread of the stopped tree woke up and wants the CPU (once per stop). */
  wake: () => void;
  denied: (info: { resource: 'mem'; syscall: string; bytes: number; pid: number }) => void;
  tree: (info: { event: 'spawn' | 'exec' | 'exit'; pid: number; ppid: number; comm: string }) => void;
  log: (level: 'debug' | 'info' | 'warn' | 'error', msg: string) => void;
  /** The app's tree is gone; the helper exits right after. */
  exit: (status: { code: number | null; signal: string | null }) => void;
  /** The control connection closed (after `exit`, or because the helper died). */
  close: () => void;
}

export interface HelperSession {
  readonly hello: HelperHello;
  on<E extends keyof HelperEvents>(event: E, listener: HelperEvents[E]): this;
  off<E extends keyof HelperEvents>(event: E, listener: HelperEvents[E]): this;

  /** Add byte credit (PNS variable-length allocation). */
  grant(resource: CreditResource, bytes: number): Promise<void>;
  /** 'unlimited' releases held calls at once; 'credit' holds calls while credit ≤ 0. */
  setLimitMode(resource: CreditResource, mode: 'credit' | 'unlimited'): Promise<void>;
  setMemCeiling(bytes: number | null): Promise<void>;

  /** Run the whole tree for `ms` wall milliseconds; resolves when the slice has ended. */
  runSlice(ms: number): Promise<SliceResult>;
  /** Stop every thread now (ends a running slice early). */
  stop(): Promise<void>;
  /** Let the tree run unthrottled. */
  free(): Promise<void>;

  setUsagePeriod(ms: number): Promise<void>;
  /** What the helper does when the engine goes away (socket EOF, or SIGHUP of its pty):
   *  'terminate' stops the app, 'continue' lifts every limit and leaves it running. */
  setOnEngineLoss(policy: 'terminate' | 'continue'): Promise<void>;
  /**
   * The app runs in cgroup `app` under Interceptor's parent `parent` (kernel CPU bandwidth
   * control): if the engine goes away the helper lifts the parent's quota (onEngineLoss
   * continue) and removes the cgroups it can once the app is gone.
   */
  setCgroup(app: string, parent: string): Promise<void>;
  requestUsage(): Promise<void>;
  signal(name: 'SIGTERM' | 'SIGINT' | 'SIGHUP' | 'SIGKILL' | 'SIGUSR1' | 'SIGUSR2'): Promise<void>;
  terminate(graceMs: number): Promise<void>;

  /** Last usage received (null before the first). */
  readonly lastUsage: HelperUsage | null;
  /** Cumulative bytes of the grants sent, per resource: less `lastUsage.granted`, those in flight. */
  readonly grantsSent: Readonly<Record<CreditResource, number>>;
  readonly closed: boolean;
  /**
   * Start passing the helper's messages on as events, from the task after this call (idempotent).
   * The server calls it with the hello, unless the expectation was `held`: then the taker does,
   * once it listens, and misses none (launchUncapped, cli/run.ts).
   */
  deliver(): void;
}
