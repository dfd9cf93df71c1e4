// Idle and power state as any source reports it, the rule that turns it into a
// profile, and how the reports of several sources combine. Pure.
import type { PowerState, ProfileName } from '../../common/model.js';

/** One source's view; null = this source cannot tell. */
export interface PowerReading {
  onBattery: boolean | null;
  /** Seconds since the user's last input. */
  idleSeconds: number | null;
  locked: boolean | null;
}

export const UNKNOWN_READING: PowerReading = { onBattery: null, idleSeconds: null, locked: null };

/**
 * Where idle and power state come from: the system (sysfs + logind), Electron's
 * powerMonitor, or a test. `read` never throws (an unreadable source answers null
 * fields); `watch`, where the source has events, asks for a new reading at once.
 */
export interface PowerSource {
  readonly name: string;
  read(): Promise<PowerReading>;
  watch?(onChange: () => void): () => void;
}

/** The rule, in one place: on battery → battery; else locked or idle past the threshold → idle; else in use. */
export function chooseProfile(reading: PowerReading, thresholdSeconds: number): ProfileName {
  if (reading.onBattery === true) return 'battery';
  if (reading.locked === true || (reading.idleSeconds ?? 0) >= thresholdSeconds) return 'idle';
  return 'inUse';
}

/**
 * Several sources in order of precision (Electron's powerMonitor before logind): the
 * first that knows the battery state or the idle time gives it; the screen counts as
 * locked if any source says so.
 */
export function mergeReadings(readings: readonly PowerReading[]): PowerReading {
  const first = <K extends keyof PowerReading>(key: K): PowerReading[K] => readings.find((r) => r[key] !== null)?.[key] ?? null;
  const locks = readings.map((r) => r.locked).filter((l): l is boolean => l !== null);
  return { onBattery: first('onBattery'), idleSeconds: first('idleSeconds'), locked: locks.length ? locks.some(Boolean) : null };
}

/** A valid reading or null fields: what crosses from another process or a file is range-checked here. */
export function sanitizeReading(r: Partial<PowerReading> | null | undefined): PowerReading {
  const idle = r?.idleSeconds;
  return {
    onBattery: typeof r?.onBattery === 'boolean' ? r.onBattery : null,
    idleSeconds: typeof idle === 'number' && Number.isFinite(idle) && idle >= 0 ? Math.min(idle, 10 * 365 * 86400) : null,
    locked: typeof r?.locked === 'boolean' ? r.locked : null,
  };
}

/** Several sources as one: read in parallel, merged by precision; watched together. */
export function combineSources(sources: readonly PowerSource[]): PowerSource & { readNamed(): Promise<{ reading: PowerReading; sources: string[] }> } {
  const readNamed = async () => {
    const readings = await Promise.all(sources.map(async (s) => sanitizeReading(await s.read().catch(() => UNKNOWN_READING))));
    const answered = sources.filter((_, i) => Object.values(readings[i]!).some((v) => v !== null)).map((s) => s.name);
    return { reading: mergeReadings(readings), sources: answered };
  };
  return {
    name: sources.map((s) => s.name).join(' + '),
    readNamed,
    read: async () => (await readNamed()).reading,
    watch(onChange) {
      const offs = sources.map((s) => s.watch?.(onChange) ?? (() => undefined));
      return () => offs.forEach((off) => off());
    },
  };
}

export function powerState(reading: PowerReading, sources: string[], at: number): PowerState {
  return { ...reading, sources, at };
}
