// Per-app ceilings on the command line: `apps add --max-up 1MB/s ...` and `apps set ID` (shares
// and ceilings of an app that exists). `interceptor run` keeps its flags: they are the caps.
import type { AppCeilings, AppShares } from '../../common/model.js';
import { isNoCapWord, parseBytes, parseFraction, parseRate, type Resource } from '../../common/resources.js';
import { UsageError, str, type OptionSpec, type Parsed } from './args.js';

const FLAG: Record<Resource, string> = { cpu: 'cpu', netUp: 'up', netDown: 'down', disk: 'disk', mem: 'mem' };
const PARSE: Record<Resource, (text: string) => number> = { cpu: parseFraction, netUp: parseRate, netDown: parseRate, disk: parseRate, mem: parseBytes };
const RESOURCES = Object.keys(FLAG) as Resource[];

/** --max-cpu, --max-up, --max-down, --max-disk, --max-mem: a value, or "none". */
export const CEILING_OPTIONS: OptionSpec = Object.fromEntries(RESOURCES.map((r) => [`max-${FLAG[r]}`, { type: 'string' as const }]));

export const CEILING_HELP = `--max-cpu, --max-up, --max-down, --max-disk, --max-mem: the app's ceiling (the most it ever
receives, "none" for no ceiling); what it leaves goes to the others.`;

/** The ceilings the options give (only those given). */
export function readCeilings(values: Parsed['values']): Partial<AppCeilings> {
  const out: Partial<AppCeilings> = {};
  for (const r of RESOURCES) {
    const text = str(values[`max-${FLAG[r]}`]);
    if (text !== undefined) out[r] = isNoCapWord(text) ? null : PARSE[r](text);
  }
  return out;
}

/** The shares the options give (only those given). */
export function readShares(values: Parsed['values']): Partial<AppShares> {
  const out: Partial<AppShares> = {};
  for (const r of RESOURCES) {
    const text = str(values[FLAG[r]]);
    if (text !== undefined) out[r] = PARSE[r](text);
  }
  return out;
}

/** `apps set ID`: the patch of the contract's updateApp; at least one option. */
export function appSetPatch(values: Parsed['values'], current: AppShares): { shares?: AppShares; ceilings?: Partial<AppCeilings> } {
  const shares = readShares(values);
  const ceilings = readCeilings(values);
  if (Object.keys(shares).length === 0 && Object.keys(ceilings).length === 0) {
    throw new UsageError('apps set: give at least one share (--cpu --up --down --disk --mem) or ceiling (--max-cpu ... --max-mem, a value or "none")');
  }
  return { ...(Object.keys(shares).length > 0 ? { shares: { ...current, ...shares } } : {}), ...(Object.keys(ceilings).length > 0 ? { ceilings } : {}) };
}
