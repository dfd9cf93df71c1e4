// `interceptor apply -f FILE` and `interceptor export`: the owner's policy (profile choice,
// caps of each profile, apps) as a file, applied to the running server over the same contract
// as the dashboard. apply prints what it changes (+ added, ~ changed, - removed, = unchanged);
// --dry-run only prints; apps not in the file are kept unless --prune.
import { promises as fs } from 'node:fs';
import { CommandError } from '../../common/contract.js';
import { POLICY_FORMATS, formatOfPath, parsePolicyText, printPolicy, type PolicyFormat } from '../policy/file.js';
import { countChanges, formatPlan, planPolicy, policyOf } from '../policy/plan.js';
import { MAX_POLICY_BYTES, PolicyError } from '../policy/schema.js';
import { UsageError, str, type OptionSpec, type Parsed } from './args.js';
import { CONNECT_OPTIONS, out, withRemote } from './remote.js';

export const APPLY_OPTIONS: OptionSpec = {
  ...CONNECT_OPTIONS,
  file: { type: 'string', short: 'f' },
  'dry-run': { type: 'boolean' },
  prune: { type: 'boolean' },
  format: { type: 'string' },
};
export const EXPORT_OPTIONS: OptionSpec = { ...CONNECT_OPTIONS, format: { type: 'string' } };

function formatOption(p: Parsed): PolicyFormat | undefined {
  const format = str(p.values.format);
  if (format === undefined) return undefined;
  if (!(POLICY_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be json or yaml, not "${format}"`);
  return format as PolicyFormat;
}

async function readInput(file: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = file === '-' ? process.stdin : (await fs.open(file).catch((e: Error) => Promise.reject(new CommandError('unavailable', `cannot read ${file}: ${e.message}`)))).createReadStream();
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_POLICY_BYTES) throw new CommandError('invalid', `${file === '-' ? 'the input' : file} is larger than ${MAX_POLICY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function apply(p: Parsed): Promise<number> {
  const file = str(p.values.file);
  if (file === undefined) throw new UsageError('missing file: interceptor apply -f FILE (or -f - for stdin)');
  const format = formatOption(p) ?? (file === '-' ? 'yaml' : formatOfPath(file));
  const text = await readInput(file);
  let policy;
  try {
    policy = parsePolicyText(text, format);
  } catch (error) {
    if (error instanceof PolicyError) throw new CommandError('invalid', `${file === '-' ? 'stdin' : file}: ${error.message}`);
    throw error;
  }
  return withRemote(p.values, async (remote) => {
    const state = { ...(await remote.invoke('getState', {})), quotas: await remote.invoke('getQuotas', {}) };
    const plan = planPolicy(state, policy, { prune: p.values.prune === true });
    if (p.values['dry-run'] !== true) {
      for (const [i, step] of plan.steps.entries()) {
        try {
          await remote.invoke(step.name, step.args as never);
        } catch (error) {
          const done = i === 0 ? 'nothing was changed' : `the ${i} change${i === 1 ? '' : 's'} before it were made`;
          throw new CommandError(error instanceof CommandError ? error.code : 'internal', `apply stopped at ${step.name}: ${(error as Error).message} (${done})`);
        }
      }
    }
    const n = countChanges(plan.changes);
    const header = p.values['dry-run'] === true ? 'Dry run, nothing applied:' : n.added + n.changed + n.removed === 0 ? 'No changes:' : 'Applied:';
    out(`${header}\n${formatPlan(plan.changes)}`);
    return 0;
  });
}

export async function exportPolicy(p: Parsed): Promise<number> {
  const format = formatOption(p) ?? 'yaml';
  return withRemote(p.values, async (remote) => {
    out(printPolicy(policyOf({ ...(await remote.invoke('getState', {})), quotas: await remote.invoke('getQuotas', {}) }), format));
    return 0;
  });
}
