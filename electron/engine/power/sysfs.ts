// Battery or mains from the kernel's power-supply class (/sys/class/power_supply),
// as UPower reads it: a system battery (not a mouse's: scope "Device") discharging,
// or every mains/USB supply offline, means on battery. No battery: mains.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { PowerReading, PowerSource } from './reading.js';

interface Supply {
  type: string;
  scope: string | null;
  online: string | null;
  status: string | null;
}

async function attr(dir: string, name: string): Promise<string | null> {
  try {
    return (await fs.readFile(path.join(dir, name), 'utf8')).trim().slice(0, 64);
  } catch {
    return null;
  }
}

export async function readSupplies(sysRoot: string): Promise<Supply[] | null> {
  const base = path.join(sysRoot, 'class', 'power_supply');
  let names: string[];
  try {
    names = await fs.readdir(base);
  } catch {
    return null; // no power-supply class: cannot tell
  }
  return Promise.all(
    names.slice(0, 64).map(async (name) => {
      const dir = path.join(base, name);
      return { type: (await attr(dir, 'type')) ?? '', scope: await attr(dir, 'scope'), online: await attr(dir, 'online'), status: await attr(dir, 'status') };
    }),
  );
}

/** null: unknown (no sysfs class); else whether the machine runs on its battery. */
export function onBatteryFrom(supplies: Supply[] | null): boolean | null {
  if (supplies === null) return null;
  const system = supplies.filter((s) => s.scope !== 'Device');
  const batteries = system.filter((s) => s.type === 'Battery');
  if (batteries.length === 0) return false;
  const mains = system.filter((s) => s.type === 'Mains' || s.type.startsWith('USB'));
  if (mains.some((s) => s.online === '1')) return false;
  if (batteries.some((s) => s.status === 'Discharging')) return true;
  return mains.length > 0; // a mains supply that is offline
}

export function sysfsPowerSource(sysRoot = '/sys'): PowerSource {
  return {
    name: 'sysfs power_supply',
    async read(): Promise<PowerReading> {
      return { onBattery: onBatteryFrom(await readSupplies(sysRoot)), idleSeconds: null, locked: null };
    },
  };
}
