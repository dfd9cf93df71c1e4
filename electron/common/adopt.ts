// Adopting systemd services (`interceptor adopt`, the dashboard's "Adopt a service"): the
// vocabulary and the results every surface shares. Pure: types and constants only.
import type { AppView, SystemdUnitRef } from './model.js';

/** While no engine answers, an adopted service starts uncapped (run) or waits for the engine (hold). */
export const ENGINE_DOWN = ['run', 'hold'] as const;
export type EngineDown = (typeof ENGINE_DOWN)[number];

/** A unit that looks like a P2P service: the user's or the system's. */
export interface UnitCandidate {
  /** The unit to adopt: for a template, the instance suggested (Debian's convention: the user's name). */
  name: string;
  scope: SystemdUnitRef['scope'];
  file: string;
  command: string | null;
  adopted: boolean;
  /** Why it cannot be adopted as it is; null when it can. */
  problem: string | null;
}

export interface AdoptResult {
  app: AppView;
  dropIn: string;
  /** Settings of the unit the drop-in relaxes, and other things the owner should know. */
  notes: string[];
  /** What systemd did. */
  systemd: string;
}

export interface ReleaseResult {
  dropIn: string;
  appId: string;
  /** The app entry was removed (false: no engine answered; `interceptor apps rm` removes it later). */
  appRemoved: boolean;
  systemd: string;
}
