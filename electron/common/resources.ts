// Resources τ of the paper, with network split into up and down, and the units
// the owner types them in. Pure functions: shared by engine, CLI, shell and renderer.

export const RESOURCES = ['cpu', 'netUp', 'netDown', 'disk', 'mem'] as const;
export type Resource = (typeof RESOURCES)[number];

/** Resources scheduled by byte credits (variable-length allocations in PNS). */
export const BYTE_RATE_RESOURCES = ['netUp', 'netDown', 'disk'] as const;
export type ByteRateResource = (typeof BYTE_RATE_RESOURCES)[number];

export const RESOURCE_LABELS: Record<Resource, string> = {
  cpu: 'CPU',
  netUp: 'Upload',
  netDown: 'Download',
  disk: 'Disk',
  mem: 'Memory',
};

/**
 * Unit of a cap or a nominal share:
 *  - cpu: fraction of the whole machine (all cores), 0..1
 *  - netUp, netDown, disk: bytes per second
 *  - mem: bytes
 */
export type ResourceUnit = 'fraction' | 'bytesPerSecond' | 'bytes';
export const RESOURCE_UNITS: Record<Resource, ResourceUnit> = {
  cpu: 'fraction',
  netUp: 'bytesPerSecond',
  netDown: 'bytesPerSecond',
  disk: 'bytesPerSecond',
  mem: 'bytes',
};

/** Largest byte rate or size accepted anywhere (1 PB): keeps arithmetic exact in doubles. */
export const MAX_BYTES = 1e15;

const SIZE_MULTIPLIERS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mib: 1024 ** 2,
  g: 1e9,
  gb: 1e9,
  gib: 1024 ** 3,
  t: 1e12,
  tb: 1e12,
  tib: 1024 ** 4,
};

export class UnitParseError extends Error {
  constructor(input: string, expected: string) {
    super(`cannot read "${input}": expected ${expected}`);
    this.name = 'UnitParseError';
  }
}

/** "25%" or "0.25" → 0.25 (fraction of the machine). */
export function parseFraction(input: string): number {
  const text = input.trim();
  const match = /^(\d+(?:\.\d+)?)\s*(%?)$/.exec(text);
  if (!match) throw new UnitParseError(input, 'a percentage such as 25%');
  const value = Number(match[1]) / (match[2] === '%' ? 100 : 1);
  if (!(value >= 0 && value <= 1)) throw new UnitParseError(input, 'a percentage between 0% and 100%');
  return value;
}

/** "512MB", "1.5 GiB", "4096" → bytes. */
export function parseBytes(input: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(input.trim());
  const multiplier = match ? SIZE_MULTIPLIERS[match[2]!.toLowerCase()] : undefined;
  if (!match || multiplier === undefined) throw new UnitParseError(input, 'a size such as 512MB or 2GiB');
  const value = Math.round(Number(match[1]) * multiplier);
  if (value > MAX_BYTES) throw new UnitParseError(input, 'a size below 1 PB');
  return value;
}

/** SI and binary prefixes of a bit rate ("k", "Mi", ...), lower case. */
const BIT_PREFIXES: Record<string, number> = { '': 1, k: 1e3, ki: 1024, m: 1e6, mi: 1024 ** 2, g: 1e9, gi: 1024 ** 3, t: 1e12, ti: 1024 ** 4 };

/**
 * A rate in bits ("100Mbit", "100Mbit/s", "512 kbit", "20Mbps") → bytes per second, or
 * null when the text names no bit unit. Bits need the word "bit" or a lower-case "bps":
 * "MB/s" and "MBps" stay bytes.
 */
export function parseBitRate(input: string): number | null {
  const text = input.trim();
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]i?)?bits?(?:\/s|ps)?$/i.exec(text) ?? /^(\d+(?:\.\d+)?)\s*([kKmMgGtT]i?)?bps$/.exec(text);
  if (!m) return null;
  const value = Math.round((Number(m[1]) * BIT_PREFIXES[(m[2] ?? '').toLowerCase()]!) / 8);
  if (value > MAX_BYTES) throw new UnitParseError(input, 'a rate below 1 PB/s');
  return value;
}

/** "1MB/s", "500 kB/s", "2M", "100Mbit/s", "20Mbps" → bytes per second. */
export function parseRate(input: string): number {
  const bits = parseBitRate(input);
  if (bits !== null) return bits;
  const text = input.trim().replace(/\s*(\/s|ps)$/i, '');
  try {
    return parseBytes(text);
  } catch {
    throw new UnitParseError(input, 'a rate such as 500kB/s, 2MB/s or 100Mbit/s');
  }
}

/** Parse a value typed for resource τ in its natural unit. */
export function parseResourceValue(resource: Resource, input: string): number {
  switch (RESOURCE_UNITS[resource]) {
    case 'fraction':
      return parseFraction(input);
    case 'bytesPerSecond':
      return parseRate(input);
    case 'bytes':
      return parseBytes(input);
  }
}

export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes);
  if (abs >= 1e9) return `${trim(bytes / 1e9)} GB`;
  if (abs >= 1e6) return `${trim(bytes / 1e6)} MB`;
  if (abs >= 1e3) return `${trim(bytes / 1e3)} kB`;
  return `${Math.round(bytes)} B`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

export function formatFraction(fraction: number): string {
  return `${trim(fraction * 100)}%`;
}

export function formatResourceValue(resource: Resource, value: number | null): string {
  if (value === null) return 'no cap';
  switch (RESOURCE_UNITS[resource]) {
    case 'fraction':
      return formatFraction(value);
    case 'bytesPerSecond':
      return formatRate(value);
    case 'bytes':
      return formatBytes(value);
  }
}

function trim(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1).replace(/\.0$/, '') : value.toFixed(2).replace(/\.?0+$/, '');
}
