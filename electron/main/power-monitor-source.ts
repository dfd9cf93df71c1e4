// Electron's powerMonitor as one more source of idle and power state for the
// engine's automatic profile (electron/engine/power): it knows the idle time to the
// second and sends events on battery, AC, lock and unlock, so a change applies at
// once instead of at the next poll. The rule itself lives in the engine.
import type { PowerReading, PowerSource } from '../engine/power/index.js';

export interface PowerMonitorLike {
  isOnBatteryPower(): boolean;
  getSystemIdleTime(): number; // seconds
  on(event: PowerEvent, listener: () => void): unknown;
  removeListener(event: PowerEvent, listener: () => void): unknown;
}

export const POWER_EVENTS = ['on-battery', 'on-ac', 'lock-screen', 'unlock-screen', 'suspend', 'resume', 'user-did-become-active', 'user-did-resign-active'] as const;
export type PowerEvent = (typeof POWER_EVENTS)[number];

const tryRead = <T>(read: () => T): T | null => {
  try {
    return read();
  } catch {
    return null; // unknown here: another source (sysfs, logind) may know
  }
};

export function powerMonitorSource(pm: PowerMonitorLike): PowerSource {
  // The lock state is known only from events; before the first, logind may know it.
  let locked: boolean | null = null;
  return {
    name: 'Electron powerMonitor',
    async read(): Promise<PowerReading> {
      return { onBattery: tryRead(() => pm.isOnBatteryPower()), idleSeconds: tryRead(() => pm.getSystemIdleTime()), locked };
    },
    watch(onChange) {
      const listeners: Array<[PowerEvent, () => void]> = [
        ['lock-screen', () => ((locked = true), onChange())],
        ['unlock-screen', () => ((locked = false), onChange())],
        ...(['on-battery', 'on-ac', 'resume', 'user-did-become-active', 'user-did-resign-active'] as const).map((e): [PowerEvent, () => void] => [e, onChange]),
      ];
      for (const [event, fn] of listeners) pm.on(event, fn);
      return () => {
        for (const [event, fn] of listeners) pm.removeListener(event, fn);
      };
    },
  };
}
