// Request/reply by id and typed events: the plumbing of every channel that carries
// commands one way and replies and events the other — the native helper's control socket
// (engine/catcher/helper-session.ts), the contract over a WebSocket (./wire.ts: the CLI's
// client and the dashboard's bridge), the preload's API and the engine itself.
// Pure: no Node built-ins and no I/O; the timers are those of Node and browsers alike.


/**
 * Listeners by event; `A` gives each event's arguments as a tuple. An event reaches the
 * listeners there were when it began, also when one of them subscribes or unsubscribes
 * another. A listener that throws: with `onError`, reported there and the others still hear the
 * event; without, the throw reaches the emitter (as with Node's EventEmitter).
 */
export class Listeners<A extends { [E in keyof A]: unknown[] }> {
  // Copied on every change, never changed in place: emit() walks the list as it was when the
  // event began, with no copy of its own (events are frequent, subscriptions rare).
  private readonly byEvent = new Map<keyof A, readonly unknown[]>();

  constructor(private readonly onError?: (error: unknown, event: keyof A) => void) {}

  /** Returns the function that unsubscribes. A listener given twice is subscribed once. */
  on<E extends keyof A>(event: E, listener: (...args: A[E]) => void): () => void {
    const list = this.byEvent.get(event) ?? [];
    if (!list.includes(listener)) this.byEvent.set(event, [...list, listener]);
    return () => this.off(event, listener);
  }

  off<E extends keyof A>(event: E, listener: (...args: A[E]) => void): void {
    const list = this.byEvent.get(event);
    if (list?.includes(listener)) this.byEvent.set(event, list.filter((l) => l !== listener));
  }

  /** Whether anyone listens to `event` (an event that is dear to build can be skipped). */
  has(event: keyof A): boolean {
    return (this.byEvent.get(event)?.length ?? 0) > 0;
  }

  emit<E extends keyof A>(event: E, ...args: A[E]): void {
    const list = this.byEvent.get(event) as ReadonlyArray<(...a: A[E]) => void> | undefined;
    if (!list) return;
    for (let i = 0; i < list.length; i++) {
      if (!this.onError) {
        list[i]!(...args);
        continue;
      }
      try {
        list[i]!(...args);
      } catch (error) {
        this.onError(error, event);
      }
    }
  }

  /** How many listeners there are, over every event. */
  get size(): number {
    let n = 0;
    for (const list of this.byEvent.values()) n += list.length;
    return n;
  }

  clear(): void {
    this.byEvent.clear();
  }
}

/** The arguments of each listener of a map of listener types (HelperEvents, SchedulerEvents). */
export type ListenerArgs<M> = { [E in keyof M]: M[E] extends (...args: infer P) => void ? P : never };

/** A base for objects whose events are typed by a map of listener types, with Node's on/off shape. */
export class EventSource<M extends { [E in keyof M]: (...args: never[]) => void }> {
  private readonly events = new Listeners<ListenerArgs<M>>();

  // M[E] is (...args: ListenerArgs<M>[E]) => void, which the compiler cannot see for a generic E.
  on<E extends keyof M>(event: E, listener: M[E]): this {
    this.events.on(event, listener as never);
    return this;
  }

  off<E extends keyof M>(event: E, listener: M[E]): this {
    this.events.off(event, listener as never);
    return this;
  }

  protected emit<E extends keyof M>(event: E, ...args: ListenerArgs<M>[E]): void {
    this.events.emit(event, ...args);
  }

  protected removeAllListeners(): void {
    this.events.clear();
  }
}

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout> | null;
}

/** A request that fails with `error()` when no reply came within `ms`. */
export interface ReplyTimeout {
  ms: number;
  error: () => Error;
}

/** Requests waiting for their reply, by id: ids count up from 1. */
export class PendingReplies<T> {
  private lastId = 0;
  private readonly waiting = new Map<number, Waiter<T>>();

  /** A new request: its id (to send) and the promise of its reply. */
  open(timeout?: ReplyTimeout): { id: number; reply: Promise<T> } {
    const id = ++this.lastId;
    return { id, reply: this.await(id, timeout) };
  }

  /** Waits for a reply under an id given out before (a second answer to one request). */
  await(id: number, timeout?: ReplyTimeout): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = timeout
        ? setTimeout(() => {
          this.waiting.delete(id);
          reject(timeout.error());
        }, timeout.ms)
        : null;
      this.waiting.set(id, { resolve, reject, timer });
    });
  }

  /** The reply to `id` arrived; false when nothing waits for it (late, or never asked). */
  resolve(id: number, value: T): boolean {
    const w = this.take(id);
    w?.resolve(value);
    return w !== undefined;
  }

  reject(id: number, error: Error): boolean {
    const w = this.take(id);
    w?.reject(error);
    return w !== undefined;
  }

  /** The channel closed: every request still waiting fails with `error`. */
  rejectAll(error: Error): void {
    const all = [...this.waiting.keys()];
    for (const id of all) this.reject(id, error);
  }

  get size(): number {
    return this.waiting.size;
  }

  private take(id: number): Waiter<T> | undefined {
    const w = this.waiting.get(id);
    if (!w) return undefined;
    this.waiting.delete(id);
    if (w.timer !== null) clearTimeout(w.timer);
    return w;
  }
}
