// Which desktop notifications to show: an app held at a cap persistently, an app
// denied memory, an app crashed; rate-limited so they never flood. Pure: time is the
// `t` of the events and snapshots fed in; main.ts shows what comes out.
import type { EventLogEntry, Snapshot } from '../common/model.js';
import { RESOURCES, type Resource } from '../common/resources.js';

export type NotificationKind = 'limitHit' | 'memDenied' | 'crash' | 'quota';

export interface NotificationRequest {
  kind: NotificationKind;
  appId: string | null;
  title: string;
  body: string;
}

export interface RateLimitOptions {
  /** At most one notification per (app, kind) in this window. */
  perKeyMs: number;
  /** At most globalMax notifications overall in globalWindowMs. */
  globalMax: number;
  globalWindowMs: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { perKeyMs: 10 * 60_000, globalMax: 5, globalWindowMs: 60 * 60_000 };

/** Sliding-window limiter: per key and overall. Counts what it suppressed. */
export class NotificationLimiter {
  private readonly lastByKey = new Map<string, number>();
  private shown: number[] = [];
  private suppressedSinceShown = 0;

  constructor(private readonly options: RateLimitOptions = DEFAULT_RATE_LIMIT) {}

  /** True if a notification with this key may be shown at `now` (and records it). */
  tryAcquire(key: string, now: number): { allowed: boolean; suppressedBefore: number } {
    const last = this.lastByKey.get(key);
    this.shown = this.shown.filter((t) => now - t < this.options.globalWindowMs);
    if ((last !== undefined && now - last < this.options.perKeyMs) || this.shown.length >= this.options.globalMax) {
      this.suppressedSinceShown += 1;
      return { allowed: false, suppressedBefore: 0 };
    }
    this.lastByKey.set(key, now);
    this.shown.push(now);
    const suppressedBefore = this.suppressedSinceShown;
    this.suppressedSinceShown = 0;
    // Forget keys that can no longer limit anything.
    if (this.lastByKey.size > 1000) {
      for (const [k, t] of this.lastByKey) if (now - t >= this.options.perKeyMs) this.lastByKey.delete(k);
    }
    return { allowed: true, suppressedBefore };
  }
}

export interface NotificationPolicyOptions {
  /** How long an app must stay at a cap before the owner hears about it. */
  persistMs?: number;
  /** Evidence further apart than this breaks a streak. */
  gapMs?: number;
  rateLimit?: RateLimitOptions;
  /** Display name of an app id (the engine's FullState knows it). */
  appName?: (id: string) => string | undefined;
}

interface Streak {
  start: number;
  last: number;
  notified: boolean;
}

const RESOURCE_WORDS: Record<Resource, string> = {
  cpu: 'CPU',
  netUp: 'upload',
  netDown: 'download',
  disk: 'disk',
  mem: 'memory',
};

export class NotificationPolicy {
  private readonly persistMs: number;
  private readonly gapMs: number;
  private readonly limiter: NotificationLimiter;
  private readonly streaks = new Map<string, Streak>();
  private readonly appName: (id: string) => string | undefined;

  constructor(options: NotificationPolicyOptions = {}) {
    this.persistMs = options.persistMs ?? 60_000;
    this.gapMs = options.gapMs ?? 15_000;
    this.limiter = new NotificationLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT);
    this.appName = options.appName ?? (() => undefined);
  }

  private name(appId: string | null): string {
    if (appId === null) return 'P2P apps';
    return this.appName(appId) ?? appId;
  }

  private emit(kind: NotificationKind, appId: string | null, t: number, title: string, body: string): NotificationRequest[] {
    const { allowed, suppressedBefore } = this.limiter.tryAcquire(`${kind}:${appId ?? '*'}`, t);
    if (!allowed) return [];
    const more = suppressedBefore > 0 ? ` (${suppressedBefore} more notification${suppressedBefore === 1 ? '' : 's'} suppressed; see the event log)` : '';
    return [{ kind, appId, title, body: body + more }];
  }

  /** Evidence that (app, resource) is at its cap at time t; returns a notification when it has lasted persistMs. */
  private atCapEvidence(appId: string | null, resource: Resource | null, t: number): NotificationRequest[] {
    const key = `${appId ?? '*'}:${resource ?? '*'}`;
    let streak = this.streaks.get(key);
    if (!streak || t - streak.last > this.gapMs) {
      streak = { start: t, last: t, notified: false };
      this.streaks.set(key, streak);
    } else if (t > streak.last) {
      streak.last = t;
    }
    if (streak.notified || streak.last - streak.start < this.persistMs) return [];
    streak.notified = true;
    const who = this.name(appId);
    const what = resource ? `${RESOURCE_WORDS[resource]} cap` : 'cap';
    const minutes = Math.max(1, Math.round((streak.last - streak.start) / 60_000));
    return this.emit(
      'limitHit',
      appId,
      t,
      appId === null ? `P2P apps are at the ${what}` : `${who} is at its ${what}`,
      `${who} ${appId === null ? 'have' : 'has'} been held at the ${what} for ${minutes} minute${minutes === 1 ? '' : 's'}.`,
    );
  }

  /** Feed every event-log entry (EventPayloads.log). */
  observeLog(entry: EventLogEntry): NotificationRequest[] {
    switch (entry.kind) {
      case 'limitHit':
      case 'held':
        return this.atCapEvidence(entry.appId, entry.resource, entry.t);
      case 'memDenied': {
        const who = this.name(entry.appId);
        return this.emit('memDenied', entry.appId, entry.t, `${who} was denied memory`, entry.message || `${who} asked for more memory than its ceiling.`);
      }
      case 'crash': {
        const who = this.name(entry.appId);
        return this.emit('crash', entry.appId, entry.t, `${who} crashed`, entry.message || `${who} stopped unexpectedly.`);
      }
      case 'quota':
        return this.emit('quota', entry.appId, entry.t, 'Transfer quota', entry.message);
      default:
        return [];
    }
  }

  /** Feed every snapshot: demand held back at a cap, or memory at its ceiling, is at-cap evidence. */
  observeSnapshot(snapshot: Snapshot): NotificationRequest[] {
    const out: NotificationRequest[] = [];
    for (const app of snapshot.apps) {
      for (const resource of RESOURCES) {
        const fig = app.resources[resource];
        if (!fig) continue;
        const atCap = resource === 'mem' ? fig.cap !== null && fig.cap > 0 && fig.recent >= fig.cap : fig.held > 0;
        if (atCap) out.push(...this.atCapEvidence(app.id, resource, snapshot.t));
      }
    }
    return out;
  }
}
