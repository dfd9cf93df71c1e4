// A policy as text: read from JSON or YAML (bounded, then checked by ./schema.ts), written as
// JSON or YAML with caps and shares in the units a person types — each written so that it
// reads back to exactly the same number (else the number itself), so `export | apply -f -`
// changes nothing.
import YAML from 'yaml';
import { PROFILE_NAMES, type OwnerLimits } from '../../common/model.js';
import { RESOURCES, formatResourceValue, readResourceValue, type Resource } from '../../common/resources.js';
import { scheduleDoc } from './schedule.js';
import { MAX_POLICY_BYTES, PolicyError, readPolicy, type Policy } from './schema.js';

export const POLICY_FORMATS = ['json', 'yaml'] as const;
export type PolicyFormat = (typeof POLICY_FORMATS)[number];

/** The format of a file by its name: .json is JSON, anything else YAML (a superset of JSON). */
export function formatOfPath(file: string): PolicyFormat {
  return /\.json$/i.test(file) ? 'json' : 'yaml';
}

export function parsePolicyText(text: string, format: PolicyFormat): Policy {
  if (Buffer.byteLength(text) > MAX_POLICY_BYTES) throw new PolicyError(`the policy is larger than ${MAX_POLICY_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = format === 'json' ? JSON.parse(text) : YAML.parse(text, { maxAliasCount: 100, uniqueKeys: true });
  } catch (error) {
    throw new PolicyError(`not valid ${format.toUpperCase()}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (doc !== null && doc !== undefined && (typeof doc !== 'object' || Array.isArray(doc))) throw new PolicyError('a policy is a mapping of profile, caps and apps');
  return readPolicy(doc);
}

/** A value as the owner types it, when that reads back exactly; else the number. */
export function readableValue(resource: Resource, value: number | null): string | number {
  if (value === null) return 'none';
  const text = formatResourceValue(resource, value).replace(' ', '');
  const back = readResourceValue(resource, text);
  return back.ok && back.value === value ? text : value;
}

const readableOf = (values: Partial<Record<Resource, number | null>>, skipZero: boolean) =>
  Object.fromEntries(RESOURCES.filter((r) => values[r] !== undefined && !(skipZero && values[r] === 0)).map((r) => [r, readableValue(r, values[r]!)]));

/** Only the ceilings set; none at all: no key (an absent ceiling reads back as none). */
function ceilingsOf(ceilings: Partial<Record<Resource, number | null>> | undefined): { ceilings?: Record<string, string | number> } {
  const set = Object.fromEntries(Object.entries(ceilings ?? {}).filter(([, v]) => v !== null));
  return Object.keys(set).length > 0 ? { ceilings: readableOf(set, false) } : {};
}

export function printPolicy(policy: Policy, format: PolicyFormat): string {
  const doc = {
    ...(policy.profile !== undefined ? { profile: policy.profile } : {}),
    ...(policy.caps
      ? { caps: Object.fromEntries(PROFILE_NAMES.filter((p) => policy.caps![p]).map((p) => [p, readableOf(policy.caps![p] as Partial<OwnerLimits>, false)])) }
      : {}),
    ...(policy.apps ? { apps: policy.apps.map(({ ceilings, ...a }) => ({ ...a, shares: readableOf(a.shares, true), ...ceilingsOf(ceilings) })) } : {}),
    ...(policy.schedule ? { schedule: scheduleDoc(policy.schedule) } : {}),
    ...(policy.quotas ? { quotas: { ...policy.quotas, rules: policy.quotas.rules.map((r) => ({ ...r, bytes: readableValue('mem', r.bytes), slowTo: r.slowTo === null ? null : readableValue('netUp', r.slowTo) })) } } : {}),
  };
  return format === 'json' ? JSON.stringify(doc, null, 2) + '\n' : YAML.stringify(doc);
}
