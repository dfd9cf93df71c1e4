// Pure helpers of the settings screen: the idle threshold as a person types it, and
// what the automatic profile sees, in words.
import type { PowerState } from '../../../electron/common/model.js';
import { IDLE_MAX_SECONDS, IDLE_MIN_SECONDS } from '../../../electron/common/profiles.js';

/** "5 min", "90 s", "1 h" — the threshold as shown in its field. */
export function idleThresholdText(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** "5 min", "300", "90s", "1.5h" → seconds, within 30 s to 24 h; a bare number is minutes. */
export function parseIdleThreshold(text: string): { ok: true; seconds: number } | { ok: false; error: string } {
  const m = /^(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?)?$/i.exec(text.trim());
  if (!m) return { ok: false, error: 'Type a duration such as 5 min, 90 s or 1 h.' };
  const unit = (m[2] ?? 'min').toLowerCase();
  const mult = unit.startsWith('s') ? 1 : unit.startsWith('h') ? 3600 : 60;
  const seconds = Math.round(Number(m[1]) * mult);
  if (seconds < IDLE_MIN_SECONDS || seconds > IDLE_MAX_SECONDS) return { ok: false, error: 'Between 30 s and 24 h.' };
  return { ok: true, seconds };
}

export function describePower(power: PowerState | null, thresholdSeconds: number): string {
  if (!power) return 'Nothing detects idle time or battery here: the profile changes only when you choose one.';
  const parts = [
    power.onBattery === null ? 'power supply unknown' : power.onBattery ? 'on battery' : 'on mains power',
    power.idleSeconds === null ? 'idle time unknown' : `no input for ${Math.round(power.idleSeconds)} s (idle after ${idleThresholdText(thresholdSeconds)})`,
  ];
  if (power.locked) parts.push('screen locked');
  return `Seen now: ${parts.join(', ')}${power.sources.length ? ` — from ${power.sources.join(' and ')}` : ''}.`;
}
