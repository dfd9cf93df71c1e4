// Option parsing of every subcommand with node:util's parseArgs (strict: an unknown
// option or a missing value is a usage error, exit 2), `-h/--help` on each, and the
// split at the program a command runs (`run`, `apps add`): the first word that is not
// an option, or everything after `--`.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export const EXIT_USAGE = 2;

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;
export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** The program and its arguments (only with `command: true`). */
  command: string[];
  help: boolean;
}

/** Where the program to run starts: after `--`, or at the first word that is neither an option nor an option's value. */
export function splitAtCommand(argv: string[], spec: OptionSpec): { head: string[]; command: string[] } {
  const takesValue = (arg: string): boolean => {
    if (arg.includes('=')) return false;
    if (arg.startsWith('--')) return spec[arg.slice(2)]?.type === 'string';
    const short = Object.values(spec).find((o) => o.short === arg.slice(1));
    return short?.type === 'string';
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return { head: argv.slice(0, i), command: argv.slice(i + 1) };
    if (arg.startsWith('-') && arg.length > 1) {
      if (takesValue(arg)) i++;
      continue;
    }
    return { head: argv.slice(0, i), command: argv.slice(i) };
  }
  return { head: argv, command: [] };
}

export function parseCommandLine(argv: string[], spec: OptionSpec, opts: { command?: boolean; positionals?: number } = {}): Parsed {
  const options: Options = { ...spec, help: { type: 'boolean', short: 'h' } };
  const { head, command } = opts.command ? splitAtCommand(argv, spec) : { head: argv, command: [] };
  let result;
  try {
    result = parseArgs({ args: head, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(readableParseError(error as Error));
  }
  const help = result.values.help === true;
  const max = opts.positionals ?? 0;
  if (!help && result.positionals.length > max) throw new UsageError(`unexpected argument "${result.positionals[max]}"`);
  for (const [name, value] of Object.entries(result.values)) {
    if (value === '') throw new UsageError(`--${name} needs a value`);
  }
  return { values: result.values as Parsed['values'], positionals: result.positionals, command, help };
}

/** parseArgs' messages name internals ("ERR_PARSE_ARGS_UNKNOWN_OPTION", "To specify a positional..."): keep the first sentence. */
function readableParseError(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  const option = /option '([^']+)'/i.exec(error.message)?.[1] ?? /'(-[^']*)'/.exec(error.message)?.[1];
  const name = option?.split(/\s|,/)[0] ?? '';
  const long = option?.match(/--[\w-]+/)?.[0] ?? name;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${name}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (/argument missing/.test(error.message)) return `${long} needs a value`;
    if (/ambiguous/.test(error.message)) return `${long} needs a value (one that starts with "-" is written ${long}=VALUE)`;
    return `${long} takes no value`;
  }
  return error.message.split('\n')[0]!;
}

export function str(v: string | boolean | string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** "90s", "15m" (a bare number is minutes), "1h", "2d" → ms; at most `max.ms`. */
export function parseDuration(text: string, max: { ms: number; says: string }): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`cannot read duration "${text}": expected e.g. 90s, 15m, 1h, 2d`);
  const unit = (m[2] ?? 'm').toLowerCase();
  const mult = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'h' ? 3_600_000 : unit === 'd' ? 86_400_000 : 60_000;
  const ms = Math.round(Number(m[1]) * mult);
  if (ms < 1) throw new UsageError(`duration "${text}" is too short`);
  if (ms > max.ms) throw new UsageError(max.says);
  return ms;
}
