// The `interceptor` command line: a verb per task, `--help` on each, exit 2 for usage
// errors and 1 for failures (as systemd-run, transmission-remote and boinccmd do).
import { CommandError } from '../../common/contract.js';
import { UnitParseError } from '../../common/resources.js';
import { UnitError } from '../adopt/exec-line.js';
import { packageVersion } from '../paths.js';
import { EXIT_USAGE, UsageError, parseCommandLine, type OptionSpec, type Parsed } from './args.js';
import { HELP, USAGE } from './help.js';
import { EVENTS_OPTIONS, HISTORY_OPTIONS, events, history } from './history.js';
import { OPEN_OPTIONS, open } from './open.js';
import { ADOPT_OPTIONS, RELEASE_OPTIONS, adopt, execAdoptedCommand, release } from './adopt.js';
import { APPLY_OPTIONS, EXPORT_OPTIONS, apply, exportPolicy } from './policy.js';
import { CONNECT_OPTIONS, apps, caps, pause, profile, resume, status } from './remote.js';
import { quotas } from './quotas.js';
import { run } from './run.js';
import { schedule } from './schedule.js';
import { SERVE_OPTIONS, serve } from './serve.js';
import { service } from './service.js';

export { EXIT_USAGE, parseDuration } from './args.js';
export { formatStatus } from './format.js';
export { parseRunArgs, systemRootsFromEnv, type RunCaps } from './run.js';

const helpFor = (key: string) => (): number => {
  process.stdout.write(HELP[key] ?? USAGE);
  return 0;
};
const verbHelp = (command: string) => (verb?: string): number => helpFor(verb && HELP[`${command} ${verb}`] ? `${command} ${verb}` : command)();

/** Commands whose options are all flags: parse, then help or run. */
const simple: Record<string, { spec: OptionSpec; positionals?: number; run: (p: Parsed) => Promise<number> }> = {
  serve: { spec: SERVE_OPTIONS, run: serve },
  open: { spec: OPEN_OPTIONS, run: open },
  status: { spec: { ...CONNECT_OPTIONS, json: { type: 'boolean' } }, run: status },
  pause: { spec: { ...CONNECT_OPTIONS, for: { type: 'string' } }, run: pause },
  resume: { spec: CONNECT_OPTIONS, run: resume },
  apply: { spec: APPLY_OPTIONS, run: apply },
  export: { spec: EXPORT_OPTIONS, run: exportPolicy },
  adopt: { spec: ADOPT_OPTIONS, positionals: 1, run: adopt },
  release: { spec: RELEASE_OPTIONS, positionals: 1, run: release },
  history: { spec: HISTORY_OPTIONS, run: history },
  events: { spec: EVENTS_OPTIONS, run: events },
};

async function dispatch(command: string | undefined, rest: string[]): Promise<number> {
  if (command !== undefined && command in simple) {
    const c = simple[command]!;
    const p = parseCommandLine(rest, c.spec, { positionals: c.positionals ?? 0 });
    return p.help ? helpFor(command)() : c.run(p);
  }
  switch (command) {
    case 'run':
      return run(rest, helpFor('run'));
    case 'apps':
      return apps(rest, verbHelp('apps'));
    case 'caps':
      return caps(rest, verbHelp('caps'));
    case 'profile':
      return profile(rest, verbHelp('profile'));
    case 'quotas':
      return quotas(rest, helpFor('quotas'));
    case 'service':
      return service(rest, verbHelp('service'));
    case 'exec-adopted':
      return execAdoptedCommand(rest, helpFor('exec-adopted'));
    case 'schedule':
      return schedule(rest, verbHelp('schedule'));
    case '-V':
    case '--version':
    case 'version':
      process.stdout.write(`interceptor ${packageVersion()}\n`);
      return 0;
    case 'help':
      return helpFor(rest.join(' ') || 'main')();
    case '-h':
    case '--help':
      return helpFor('main')();
    case undefined:
      process.stderr.write(USAGE);
      return EXIT_USAGE;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    return await dispatch(command, rest);
  } catch (error) {
    if (error instanceof UsageError || error instanceof UnitParseError) {
      process.stderr.write(`interceptor: ${error.message}\nRun \`interceptor ${command && command in HELP ? `${command} ` : ''}--help\` for usage.\n`);
      return EXIT_USAGE;
    }
    if (error instanceof CommandError || error instanceof UnitError) {
      process.stderr.write(`interceptor: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`interceptor: ${(error as Error)?.stack ?? String(error)}\n`);
    return 1;
  }
}
