// What applying a policy changes: a pure comparison of the engine's state with a policy, as a
// list a person reads (added, changed, removed, unchanged) and the contract's commands that
// make the change. Parts the policy leaves out are not touched; apps that are not in it are
// removed only with `prune`. An app is matched by its id, else by its name.
import type { CommandArgs, CommandName } from '../../common/contract.js';
import { PROFILE_NAMES, type AppDefinition, type FullState, type OwnerLimits, type ProfileName } from '../../common/model.js';
import { RESOURCES, formatResourceValue, type Resource } from '../../common/resources.js';
import type { Schedule } from '../../common/schedule.js';
import { planSchedule } from './schedule.js';
import type { QuotaConfig } from '../../common/quotas.js';
import { planQuotas, quotasOf } from './quotas.js';
import type { Policy, PolicyApp } from './schema.js';

export type ChangeKind = 'added' | 'changed' | 'removed' | 'unchanged';
export const CHANGE_MARKS: Record<ChangeKind, string> = { added: '+', changed: '~', removed: '-', unchanged: '=' };

export interface Change {
  kind: ChangeKind;
  /** What: "profile", "caps.idle.cpu", "app syncthing". */
  subject: string;
  /** For a person: "50% -> 25%", "shares.cpu 10% -> 20%", "Syncthing". */
  detail: string;
}

/** One command of the contract, with its arguments. */
export type Step = { [N in CommandName]: { name: N; args: CommandArgs<N> } }[CommandName];

export interface Plan {
  changes: Change[];
  /** In an order the engine's admission accepts: removals, caps raised, apps changed and added, caps lowered, the schedule, the profile (a pick holds until the new schedule's next change). */
  steps: Step[];
}

export type PolicyState = Pick<FullState, 'profileChoice' | 'profiles' | 'apps'> & { schedule?: Schedule; quotas?: QuotaConfig };

const APP_FIELDS = ['name', 'command', 'args', 'cwd', 'env', 'autostart'] as const;

/** a is looser than b: no cap is the loosest. */
const looser = (a: number | null, b: number | null): boolean => a === null ? b !== null : b !== null && a > b;

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const show = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : value === undefined ? '(none)' : JSON.stringify(value));

export function planPolicy(state: PolicyState, policy: Policy, options: { prune?: boolean } = {}): Plan {
  const changes: Change[] = [];
  const raise: Step[] = [];
  const lower: Step[] = [];
  const removals: Step[] = [];
  const appSteps: Step[] = [];

  for (const profile of PROFILE_NAMES) {
    const wanted = policy.caps?.[profile];
    if (!wanted) continue;
    const now = state.profiles[profile];
    const up: Partial<OwnerLimits> = {};
    const down: Partial<OwnerLimits> = {};
    for (const r of RESOURCES) {
      const to = wanted[r];
      if (to === undefined) continue;
      const subject = `caps.${profile}.${r}`;
      if (to === now[r]) {
        changes.push({ kind: 'unchanged', subject, detail: formatResourceValue(r, to) });
        continue;
      }
      changes.push({ kind: 'changed', subject, detail: `${formatResourceValue(r, now[r])} -> ${formatResourceValue(r, to)}` });
      (looser(to, now[r]) ? up : down)[r] = to as never;
    }
    if (Object.keys(up).length) raise.push({ name: 'setOwnerLimits', args: { profile, limits: up } });
    if (Object.keys(down).length) lower.push({ name: 'setOwnerLimits', args: { profile, limits: down } });
  }

  const matched = new Set<string>();
  const defs = state.apps.map((a) => a.definition);
  const find = (app: PolicyApp): AppDefinition | undefined =>
    (app.id !== undefined ? defs.find((d) => d.id === app.id && !matched.has(d.id)) : undefined) ??
    defs.find((d) => d.name === app.name && !matched.has(d.id));
  for (const app of policy.apps ?? []) {
    const def = find(app);
    if (!def) {
      const { id: _id, ...input } = app;
      changes.push({ kind: 'added', subject: `app ${app.id ?? app.name}`, detail: `${app.name}: ${[app.command, ...app.args].join(' ')}` });
      appSteps.push({ name: 'addApp', args: input });
      continue;
    }
    matched.add(def.id);
    const { patch, differences } = appPatch(def, app);
    if (differences.length === 0) changes.push({ kind: 'unchanged', subject: `app ${def.id}`, detail: def.name });
    else {
      changes.push({ kind: 'changed', subject: `app ${def.id}`, detail: differences.join('; ') });
      appSteps.push({ name: 'updateApp', args: { id: def.id, patch } });
    }
  }
  if (policy.apps) {
    for (const def of defs) {
      if (matched.has(def.id)) continue;
      if (options.prune) {
        changes.push({ kind: 'removed', subject: `app ${def.id}`, detail: def.name });
        removals.push({ name: 'removeApp', args: { id: def.id } });
      } else changes.push({ kind: 'unchanged', subject: `app ${def.id}`, detail: `${def.name} (not in the file; kept, --prune removes it)` });
    }
  }

  const scheduleSteps: Step[] = [];
  if (policy.schedule) {
    const { change, steps } = planSchedule(state.schedule, policy.schedule);
    changes.push(change);
    scheduleSteps.push(...steps);
  }

  const profileSteps: Step[] = [];
  if (policy.profile !== undefined) {
    if (policy.profile === state.profileChoice) changes.push({ kind: 'unchanged', subject: 'profile', detail: policy.profile });
    else {
      changes.push({ kind: 'changed', subject: 'profile', detail: `${state.profileChoice} -> ${policy.profile}` });
      profileSteps.push({ name: 'setProfile', args: { profile: policy.profile } });
    }
  }
  const quotas = policy.quotas && state.quotas ? planQuotas(state.quotas, policy.quotas) : { changes: [], steps: [] };
  changes.push(...quotas.changes);
  return { changes, steps: [...removals, ...raise, ...appSteps, ...quotas.steps, ...lower, ...scheduleSteps, ...profileSteps] };
}

/** The fields of `def` the policy's app changes; cwd absent from the policy is left as it is (the contract cannot unset it). */
function appPatch(def: AppDefinition, app: PolicyApp): { patch: Partial<PolicyApp>; differences: string[] } {
  const patch: Record<string, unknown> = {};
  const differences: string[] = [];
  for (const field of APP_FIELDS) {
    const to = app[field];
    if (to === undefined || same(def[field], to)) continue;
    patch[field] = to;
    differences.push(`${field} ${show(def[field])} -> ${show(to)}`);
  }
  const shares: Partial<Record<Resource, number>> = {};
  for (const r of RESOURCES) {
    if (def.shares[r] === app.shares[r]) continue;
    shares[r] = app.shares[r];
    differences.push(`shares.${r} ${formatResourceValue(r, def.shares[r])} -> ${formatResourceValue(r, app.shares[r])}`);
  }
  if (Object.keys(shares).length) patch.shares = app.shares;
  const ceilings: Partial<Record<Resource, number | null>> = {};
  for (const r of RESOURCES) {
    if (def.ceilings[r] === app.ceilings[r]) continue;
    ceilings[r] = app.ceilings[r];
    differences.push(`ceilings.${r} ${formatResourceValue(r, def.ceilings[r])} -> ${formatResourceValue(r, app.ceilings[r])}`);
  }
  if (Object.keys(ceilings).length) patch.ceilings = ceilings as PolicyApp['ceilings'];
  return { patch: patch as Partial<PolicyApp>, differences };
}

export function countChanges(changes: readonly Change[]): Record<ChangeKind, number> {
  const counts: Record<ChangeKind, number> = { added: 0, changed: 0, removed: 0, unchanged: 0 };
  for (const c of changes) counts[c.kind]++;
  return counts;
}

/** The list as `apply` prints it: one line per item, then the counts. */
export function formatPlan(changes: readonly Change[]): string {
  const lines = changes.map((c) => `${CHANGE_MARKS[c.kind]} ${c.subject}: ${c.detail}`);
  const n = countChanges(changes);
  lines.push(`${n.added} added, ${n.changed} changed, ${n.removed} removed, ${n.unchanged} unchanged.`);
  return lines.join('\n') + '\n';
}

/** The policy of an engine's state: every profile's caps, the profile choice, every app and the schedule. */
export function policyOf(state: PolicyState): Policy {
  const caps = {} as Record<ProfileName, OwnerLimits>;
  for (const p of PROFILE_NAMES) caps[p] = { ...state.profiles[p] };
  return {
    profile: state.profileChoice,
    caps,
    apps: state.apps.map(({ definition: d }) => ({
      id: d.id,
      name: d.name,
      command: d.command,
      args: d.args,
      ...(d.cwd !== undefined ? { cwd: d.cwd } : {}),
      env: d.env,
      autostart: d.autostart,
      shares: d.shares,
      ceilings: d.ceilings,
    })),
    ...(state.schedule ? { schedule: { enabled: state.schedule.enabled, slots: [...state.schedule.slots] } } : {}),
    ...(state.quotas ? { quotas: quotasOf(state.quotas) } : {}),
  };
}
