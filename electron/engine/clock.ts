// Time as the engine sees it: one clock for everything the engine times or stamps. Policies
// and schedulers take a Clock so the paper's scenarios run on a virtual clock in tests and on
// the real one in production; the engine's own clock also tells the wall time, for what is
// kept or shown (a pause's end, the time of a snapshot or of an event).

export interface TimerHandle {
  cancel(): void;
}

export interface TimerOptions {
  /** The timer does not keep the process alive (a lease that ends next week, a lazy save). */
  unref?: boolean;
}

export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  setTimeout(callback: () => void, ms: number, options?: TimerOptions): TimerHandle;
}

export interface EngineClock extends Clock {
  /** Milliseconds since the epoch. */
  wallNow(): number;
}

export const realClock: EngineClock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout(callback, ms, options) {
    const timer = setTimeout(callback, ms);
    if (options?.unref) timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

/** `promise`, or a rejection "WHAT within MS ms" when it has not settled by then. */
export function withTimeout<T>(clock: Clock, promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        timer.cancel();
        resolve(v);
      },
      (e) => {
        timer.cancel();
        reject(e);
      },
    );
  });
}
