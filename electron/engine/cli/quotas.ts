// `interceptor quotas`: the transfer quotas of the running server — list them with what their
// periods counted, add one, remove one, set the day the month starts on.
import { quotaName, type QuotaRule, type QuotaView } from '../../common/quotas.js';
import { formatBytes, formatRate, parseBytes, parseRate } from '../../common/resources.js';
import { UsageError, parseCommandLine, str, type OptionSpec } from './args.js';
import { CONNECT_OPTIONS, out, withRemote } from './remote.js';

export const QUOTA_VERBS = ['list', 'add', 'rm', 'reset-day'] as const;
const ADD_OPTIONS: OptionSpec = {
  app: { type: 'string' },
  day: { type: 'string' },
  month: { type: 'string' },
  up: { type: 'boolean' },
  down: { type: 'boolean' },
  both: { type: 'boolean' },
  pause: { type: 'boolean' },
  slow: { type: 'string' },
};

export function formatQuotas(view: QuotaView): string {
  if (view.rules.length === 0) return `No quotas. Months start on day ${view.resetDay}.\n`;
  const lines = view.status.map((s, i) => {
    const who = s.rule.appId ?? 'all apps';
    const then = s.rule.action === 'pause' ? 'pause' : `slow to ${formatRate(s.rule.slowTo ?? 0)}`;
    const state = s.reached ? `REACHED until ${new Date(s.periodEnd).toLocaleString()}` : 'ok';
    return `${i + 1}. ${who}: ${quotaName(s.rule)} ${formatBytes(s.rule.bytes)}, then ${then}; used ${formatBytes(s.used)} (${state})`;
  });
  return `${lines.join('\n')}\nMonths start on day ${view.resetDay}.\n`;
}

function ruleOf(values: Record<string, unknown>): QuotaRule {
  const day = str(values.day as string | undefined);
  const month = str(values.month as string | undefined);
  if ((day === undefined) === (month === undefined)) throw new UsageError('quotas add: give one of --day SIZE or --month SIZE');
  const directions = (['up', 'down', 'both'] as const).filter((d) => values[d] === true);
  if (directions.length !== 1) throw new UsageError('quotas add: give one of --up, --down or --both');
  const slow = str(values.slow as string | undefined);
  if ((values.pause === true) === (slow !== undefined)) throw new UsageError('quotas add: give one of --pause or --slow RATE');
  return {
    appId: str(values.app as string | undefined) ?? null,
    period: day !== undefined ? 'day' : 'month',
    direction: directions[0]!,
    bytes: parseBytes((day ?? month)!),
    action: slow === undefined ? 'pause' : 'slow',
    slowTo: slow === undefined ? null : parseRate(slow),
  };
}

export async function quotas(argv: string[], help: () => number): Promise<number> {
  const verb = argv[0] === undefined || argv[0].startsWith('-') ? 'list' : argv[0];
  if (!(QUOTA_VERBS as readonly string[]).includes(verb)) throw new UsageError(`unknown quotas command "${verb}": one of ${QUOTA_VERBS.join(', ')}`);
  const spec = verb === 'add' ? { ...CONNECT_OPTIONS, ...ADD_OPTIONS } : verb === 'list' ? { ...CONNECT_OPTIONS, json: { type: 'boolean' as const } } : CONNECT_OPTIONS;
  const p = parseCommandLine(argv[0] === verb ? argv.slice(1) : argv, spec, { positionals: verb === 'rm' || verb === 'reset-day' ? 1 : 0 });
  if (p.help) return help();
  const number = (what: string, min: number, max: number): number => {
    const n = Number(p.positionals[0]);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`quotas ${verb}: ${what} must be a whole number from ${min} to ${max}`);
    return n;
  };
  return withRemote(p.values, async (remote) => {
    const current = await remote.invoke('getQuotas', {});
    let view = current;
    if (verb === 'add') view = await remote.invoke('setQuotas', { rules: [...current.rules, ruleOf(p.values)] });
    else if (verb === 'rm') {
      const n = number('N', 1, Math.max(1, current.rules.length));
      if (n > current.rules.length) throw new UsageError(`quotas rm: there is no quota ${n} (see \`interceptor quotas\`)`);
      view = await remote.invoke('setQuotas', { rules: current.rules.filter((_, i) => i !== n - 1) });
    } else if (verb === 'reset-day') view = await remote.invoke('setQuotas', { resetDay: number('DAY', 1, 28) });
    out(p.values.json ? JSON.stringify(view, null, 2) + '\n' : formatQuotas(view));
    return 0;
  });
}
