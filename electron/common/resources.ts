// Resources τ of the paper, with network split into up and down, and the units the owner
// types them in: one parser and one printer for the engine, the CLI, the shell and the
// dashboard, so a value reads and prints the same everywhere. Pure: no imports at all.

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

/** A value of each unit as the owner would type it (placeholders, help texts). */
export const UNIT_EXAMPLES: Record<ResourceUnit, string> = { fraction: '25%', bytesPerSecond: '2MB/s', bytes: '512MB' };

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

/** SI and binary prefixes of a bit rate ("k", "Mi", ...), lower case. */
const BIT_PREFIXES: Record<string, number> = { '': 1, k: 1e3, ki: 1024, m: 1e6, mi: 1024 ** 2, g: 1e9, gi: 1024 ** 3, t: 1e12, ti: 1024 ** 4 };

/** What a person should have typed, as every surface says it ("cannot read …: expected …", "Type … ."). */
const EXPECTED = {
  fraction: 'a percentage between 0% and 100%, such as 25%',
  rate: 'a rate such as 500kB/s or 2MB/s',
  rateBelowMax: 'a rate such as 500kB/s or 2MB/s (below 1 PB/s)',
  size: 'a size such as 512MB or 2GB',
  sizeBelowMax: 'a size such as 512MB or 2GB (below 1 PB)',
} as const;

/** A value read from what the owner typed, or what was expected instead. */
export type ParsedValue = { ok: true; value: number } | { ok: false; expected: string };

const read = (value: number): ParsedValue => ({ ok: true, value });
const expected = (what: string): ParsedValue => ({ ok: false, expected: what });

/**
 * A fraction of the machine: "25%" or "0.5%"; a bare number above 1 is a percentage too
 * ("25" = 25 %), a bare number up to 1 a fraction ("0.25" = 25 %, "1" = the whole machine).
 */
function readFraction(input: string): ParsedValue {
  const match = /^(\d+(?:\.\d+)?)\s*(%?)$/.exec(input.trim());
  if (!match) return expected(EXPECTED.fraction);
  const number = Number(match[1]);
  const value = match[2] === '%' || number > 1 ? number / 100 : number;
  return value >= 0 && value <= 1 ? read(value) : expected(EXPECTED.fraction);
}

/** "512MB", "1.5 GiB", "4096" → bytes; above `limit` is refused. */
function readBytes(input: string, limit: number): ParsedValue {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(input.trim());
  const multiplier = match ? SIZE_MULTIPLIERS[match[2]!.toLowerCase()] : undefined;
  if (!match || multiplier === undefined) return expected(EXPECTED.size);
  const value = Math.round(Number(match[1]) * multiplier);
  if (!Number.isFinite(value)) return expected(EXPECTED.size);
  return value > limit ? expected(EXPECTED.sizeBelowMax) : read(value);
}

/** A rate in bits → bytes per second, or null when the text names no bit unit (see parseBitRate). */
function readBitRate(input: string, limit: number): ParsedValue | null {
  const text = input.trim();
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]i?)?bits?(?:\/s|ps)?$/i.exec(text) ?? /^(\d+(?:\.\d+)?)\s*([kKmMgGtT]i?)?bps$/.exec(text);
  if (!m) return null;
  const value = Math.round((Number(m[1]) * BIT_PREFIXES[(m[2] ?? '').toLowerCase()]!) / 8);
  if (!Number.isFinite(value)) return expected(EXPECTED.rate);
  return value > limit ? expected(EXPECTED.rateBelowMax) : read(value);
}

/** A rate in bytes or bits per second; above `limit` is refused. */
function readRate(input: string, limit: number): ParsedValue {
  const bits = readBitRate(input, limit);
  if (bits) return bits;
  const bytes = readBytes(input.trim().replace(/\s*(\/s|ps)$/i, ''), limit);
  if (bytes.ok) return bytes;
  return expected(bytes.expected === EXPECTED.sizeBelowMax ? EXPECTED.rateBelowMax : EXPECTED.rate);
}

/**
 * What the owner typed for resource τ in its natural unit: "25%", "500kB/s", "100Mbit/s",
 * "1.5GB". Sizes and byte rates above `limit` (default 1 PB) are refused; a caller with a
 * lower limit of its own passes Infinity and says that limit itself.
 */
export function readResourceValue(resource: Resource, input: string, limit = MAX_BYTES): ParsedValue {
  switch (RESOURCE_UNITS[resource]) {
    case 'fraction':
      return readFraction(input);
    case 'bytesPerSecond':
      return readRate(input, limit);
    case 'bytes':
      return readBytes(input, limit);
  }
}

/** The words that lift a cap where a value is typed ("none", "off", "no"). */
export function isNoCapWord(input: string): boolean {
  return /^(none|off|no)$/i.test(input.trim());
}

export class UnitParseError extends Error {
  constructor(input: string, expected: string) {
    super(`cannot read "${input}": expected ${expected}`);
    this.name = 'UnitParseError';
  }
}

function valueOrThrow(input: string, parsed: ParsedValue): number {
  if (!parsed.ok) throw new UnitParseError(input, parsed.expected);
  return parsed.value;
}

/** "25%", "0.25" or "25" → 0.25 (fraction of the machine; see readFraction). */
export function parseFraction(input: string): number {
  return valueOrThrow(input, readFraction(input));
}

/** "512MB", "1.5 GiB", "4096" → bytes. */
export function parseBytes(input: string): number {
  return valueOrThrow(input, readBytes(input, MAX_BYTES));
}

/**
 * A rate in bits ("100Mbit", "100Mbit/s", "512 kbit", "20Mbps") → bytes per second, or
 * null when the text names no bit unit. Bits need the word "bit" or a lower-case "bps":
 * "MB/s" and "MBps" stay bytes.
 */
export function parseBitRate(input: string): number | null {
  const bits = readBitRate(input, MAX_BYTES);
  return bits === null ? null : valueOrThrow(input, bits);
}

/** "1MB/s", "500 kB/s", "2M", "100Mbit/s", "20Mbps" → bytes per second. */
export function parseRate(input: string): number {
  return valueOrThrow(input, readRate(input, MAX_BYTES));
}

/** Parse a value typed for resource τ in its natural unit. */
export function parseResourceValue(resource: Resource, input: string): number {
  return valueOrThrow(input, readResourceValue(resource, input));
}

export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes);
  if (abs >= 1e12) return `${trim(bytes / 1e12)} TB`;
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

/** A value of τ in its natural unit: null is "no cap", a missing one "–", a negative one (float noise) 0. */
export function formatResourceValue(resource: Resource, value: number | null | undefined): string {
  if (value === null) return 'no cap';
  if (value === undefined || !Number.isFinite(value)) return '–';
  const v = Math.max(0, value);
  switch (RESOURCE_UNITS[resource]) {
    case 'fraction':
      return formatFraction(v);
    case 'bytesPerSecond':
      return formatRate(v);
    case 'bytes':
      return formatBytes(v);
  }
}

function trim(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1).replace(/\.0$/, '') : value.toFixed(2).replace(/\.?0+$/, '');
}
