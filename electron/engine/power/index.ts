// Idle and power detection for the automatic profile, with or without Electron.
import { logindPowerSource } from './logind.js';
import { combineSources, type PowerSource } from './reading.js';
import { sysfsPowerSource } from './sysfs.js';

export { AutoProfile, DEFAULT_POWER_POLL_MS, type AutoProfileOptions, type TimerFns } from './auto-profile.js';
export { logindPowerSource, parseProperties, idleSecondsFrom } from './logind.js';
export { chooseProfile, combineSources, mergeReadings, sanitizeReading, UNKNOWN_READING, type PowerReading, type PowerSource } from './reading.js';
export { sysfsPowerSource, onBatteryFrom, readSupplies } from './sysfs.js';

/** This machine's own view: battery from sysfs, idle and lock from logind. `extra` sources (Electron's) come first. */
export function systemPowerSource(options: { sysRoot?: string; extra?: PowerSource[] } = {}): ReturnType<typeof combineSources> {
  return combineSources([...(options.extra ?? []), sysfsPowerSource(options.sysRoot), logindPowerSource()]);
}
