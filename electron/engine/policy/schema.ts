// A policy file (`interceptor apply -f`, `interceptor export`): the profile choice, the caps of
// each profile, the apps and the week schedule (./schedule.ts), in JSON or YAML. Every field is checked by the contract's own
// schema of that field (model.ts), so a file is accepted exactly when the commands it turns
// into would be; caps and shares may also be written as the owner types them ("25%", "2MB/s",
// "512MB", "none"). Errors name the field: `apps[2].shares.netDown: expected a rate …`.
import { z } from 'zod';
import { issueText } from '../../common/contract.js';
import {
  AppCeilingsSchema,
  AppDefinitionInputSchema,
  AppIdSchema,
  AppSharesSchema,
  MAX_APPS,
  NO_CEILINGS,
  OwnerLimitsSchema,
  PROFILE_NAMES,
  ProfileChoiceSchema,
  ZERO_SHARES,
  type AppCeilings,
  type AppDefinitionInput,
  type AppShares,
  type OwnerLimits,
  type ProfileChoice,
  type ProfileName,
} from '../../common/model.js';
import { RESOURCES, isNoCapWord, readResourceValue, type Resource } from '../../common/resources.js';
import type { Schedule } from '../../common/schedule.js';
import { ScheduleFileSchema } from './schedule.js';
import { QuotasPolicySchema, type QuotasPolicy } from './quotas.js';

/** Largest policy file read (bytes). */
export const MAX_POLICY_BYTES = 1024 * 1024;

/** An app of a policy: its whole definition; id optional (matched by id, else by name). */
export type PolicyApp = Required<Pick<AppDefinitionInput, 'name' | 'command'>> & {
  id?: string;
  args: string[];
  cwd?: string;
  env: Record<string, string>;
  autostart: boolean;
  shares: AppShares;
  /** Absent resources: no ceiling. */
  ceilings: AppCeilings;
};

/** A policy as read: absent parts are not managed. */
export interface Policy {
  profile?: ProfileChoice;
  caps?: Partial<Record<ProfileName, Partial<OwnerLimits>>>;
  apps?: PolicyApp[];
  schedule?: Schedule;
  /** Transfer quotas (./quotas.ts): present, the file's rules replace the server's. */
  quotas?: QuotasPolicy;
}

/** A value typed as a person would ("2MB/s", "25%", "none") → the number the contract's field schema then checks. */
const readable = (resource: Resource, nullable: boolean) => (value: unknown, ctx: z.RefinementCtx) => {
  if (typeof value !== 'string') return value;
  if (nullable && isNoCapWord(value)) return null;
  const read = readResourceValue(resource, value);
  if (read.ok) return read.value;
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected ${read.expected}${nullable ? ', or "none"' : ''}` });
  return z.NEVER;
};

/** The contract's object of one field per resource, each also taking the readable form; every field optional. */
function perResource(shape: Record<Resource, z.ZodTypeAny>, nullable: boolean) {
  return z.object(Object.fromEntries(RESOURCES.map((r) => [r, z.preprocess(readable(r, nullable), shape[r]).optional()]))).strict();
}

const CapsSchema = perResource(OwnerLimitsSchema.shape, true);
const SharesSchema = perResource(AppSharesSchema.shape, false);
const CeilingsSchema = perResource(AppCeilingsSchema.shape, true);

const AppEntrySchema = AppDefinitionInputSchema.extend({
  id: AppIdSchema.optional(),
  shares: SharesSchema.default({}),
  ceilings: CeilingsSchema.default({}),
}).strict();

export const PolicySchema = z
  .object({
    profile: ProfileChoiceSchema.optional(),
    caps: z.object(Object.fromEntries(PROFILE_NAMES.map((p) => [p, CapsSchema.optional()]))).strict().optional(),
    apps: z.array(AppEntrySchema).max(MAX_APPS).optional(),
    schedule: ScheduleFileSchema.optional(),
    quotas: QuotasPolicySchema.optional(),
  })
  .strict()
  .superRefine((policy, ctx) => {
    for (const key of ['id', 'name'] as const) {
      const seen = new Set<string>();
      policy.apps?.forEach((app, i) => {
        const value = app[key];
        if (value === undefined) return;
        if (seen.has(value)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['apps', i, key], message: `a second app with ${key} "${value}"` });
        seen.add(value);
      });
    }
  });

export class PolicyError extends Error {
  override name = 'PolicyError';
}

/** Validates a parsed file; throws PolicyError naming the first wrong field. */
export function readPolicy(doc: unknown): Policy {
  const result = PolicySchema.safeParse(doc ?? {});
  if (!result.success) throw new PolicyError(issueText(result.error.issues[0]!));
  const { profile, caps, apps, schedule, quotas } = result.data;
  return {
    ...(profile !== undefined ? { profile } : {}),
    ...(caps !== undefined ? { caps: caps as Policy['caps'] } : {}),
    ...(apps !== undefined
      ? {
          apps: apps.map((a) => ({
            ...a,
            shares: { ...ZERO_SHARES, ...(a.shares as Partial<AppShares>) },
            ceilings: { ...NO_CEILINGS, ...(a.ceilings as Partial<AppCeilings>) },
          })),
        }
      : {}),
    ...(schedule !== undefined ? { schedule } : {}),
    ...(quotas !== undefined ? { quotas: quotas as QuotasPolicy } : {}),
  };
}
