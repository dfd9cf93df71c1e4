// Transfer quotas in a policy file: `quotas: { resetDay: 15, rules: [...] }`, sizes and rates as
// the owner types them ("50GB", "100kB/s"). Absent, quotas are not managed; present, the rules
// are the file's (replacing the server's), and the reset day too if given.
import { z } from 'zod';
import { MAX_QUOTA_RULES, MAX_RESET_DAY, type QuotaConfig, type QuotaRule } from '../../common/quotas.js';
import { QuotaRuleSchema } from '../../common/model.js';
import { readResourceValue } from '../../common/resources.js';
import type { Change, Step } from './plan.js';

/** "50GB" → bytes, "100kB/s" → bytes/s, numbers as they are; a wrong one is an issue on its field. */
function readValues(value: unknown, ctx: z.RefinementCtx): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = { ...value };
  for (const [field, resource] of [['bytes', 'mem'], ['slowTo', 'netUp']] as const) {
    const text = out[field];
    if (typeof text !== 'string') continue;
    const read = readResourceValue(resource, text);
    if (read.ok) out[field] = read.value;
    else ctx.addIssue({ code: z.ZodIssueCode.custom, path: [field], message: `expected ${read.expected}` });
  }
  return out;
}

export const QuotasPolicySchema = z
  .object({
    resetDay: z.number().int().min(1).max(MAX_RESET_DAY).optional(),
    rules: z.array(z.preprocess(readValues, QuotaRuleSchema)).max(MAX_QUOTA_RULES).default([]),
  })
  .strict();
export type QuotasPolicy = { resetDay?: number; rules: QuotaRule[] };

/** The changes a policy's quotas make, and the one command that makes them (after the apps: rules name them). */
export function planQuotas(now: QuotaConfig, wanted: QuotasPolicy): { changes: Change[]; steps: Step[] } {
  const changes: Change[] = [];
  const args: { resetDay?: number; rules?: QuotaRule[] } = {};
  if (wanted.resetDay !== undefined) {
    if (wanted.resetDay === now.resetDay) changes.push({ kind: 'unchanged', subject: 'quotas.resetDay', detail: String(now.resetDay) });
    else {
      changes.push({ kind: 'changed', subject: 'quotas.resetDay', detail: `${now.resetDay} -> ${wanted.resetDay}` });
      args.resetDay = wanted.resetDay;
    }
  }
  const count = (n: number) => `${n} rule${n === 1 ? '' : 's'}`;
  if (JSON.stringify(wanted.rules) === JSON.stringify(now.rules)) changes.push({ kind: 'unchanged', subject: 'quotas.rules', detail: count(now.rules.length) });
  else {
    changes.push({ kind: 'changed', subject: 'quotas.rules', detail: `${count(now.rules.length)} -> ${count(wanted.rules.length)}` });
    args.rules = wanted.rules;
  }
  return { changes, steps: Object.keys(args).length > 0 ? [{ name: 'setQuotas', args }] : [] };
}

/** The server's quotas as a policy file writes them (sizes and rates readable where exact). */
export function quotasOf(config: QuotaConfig): QuotasPolicy {
  return { resetDay: config.resetDay, rules: config.rules.map((r) => ({ ...r })) };
}
