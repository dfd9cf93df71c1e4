// The `interceptor` command line: a verb per task, `--help` on each, exit 2 for usage
// errors and 1 for failures (as systemd-run, transmission-remote and boinccmd do).
import { CommandError } from '../../common/errors.js';
import { UnitParseError } from '../../common/resources.js';
import { UnitError } from '../adopt/exec-line.js';
import { packageVersion } from '../paths.js';
import { EXIT_USAGE, UsageError, parseCommandLine, type OptionSpec, type Parsed } from './args.js';
import { HELP, USAGE } from './help.js';

const helpFor = (key: string) => (): number => {
  process.stdout.write(HELP[key] ?? USAGE);
  return 0;
};
const verbHelp = (command: string) => (verb?: string): number => helpFor(verb && HELP[`${command} ${verb}`] ? `${command} ${verb}` : command)();

interface SimpleCommand {
  spec: OptionSpec;
  positionals?: number;
  run: (p: Parsed) => Promise<number>;
}

// Each command's module is loaded when that command runs (the CLI bundle splits along these
// imports): `interceptor run` does not load the dashboard's server, the WebSocket client or
// the history's database before its app starts.

/** Commands whose options are all flags: parse, then help or run. */
const simple: Record<string, () => Promise<SimpleCommand>> = {
  serve: () => import('./serve.js').then((m) => ({ spec: m.SERVE_OPTIONS, run: m.serve })),
  open: () => import('./open.js').then((m) => ({ spec: m.OPEN_OPTIONS, run: m.open })),
  status: () => import('./remote.js').then((m) => ({ spec: { ...m.CONNECT_OPTIONS, json: { type: 'boolean' } }, run: m.status })),
  pause: () => import('./remote.js').then((m) => ({ spec: { ...m.CONNECT_OPTIONS, for: { type: 'string' } }, run: m.pause })),
  resume: () => import('./remote.js').then((m) => ({ spec: m.CONNECT_OPTIONS, run: m.resume })),
  apply: () => import('./policy.js').then((m) => ({ spec: m.APPLY_OPTIONS, run: m.apply })),
  export: () => import('./policy.js').then((m) => ({ spec: m.EXPORT_OPTIONS, run: m.exportPolicy })),
  adopt: () => import('./adopt.js').then((m) => ({ spec: m.ADOPT_OPTIONS, positionals: 1, run: m.adopt })),
  release: () => import('./adopt.js').then((m) => ({ spec: m.RELEASE_OPTIONS, positionals: 1, run: m.release })),
  history: () => import('./history.js').then((m) => ({ spec: m.HISTORY_OPTIONS, run: m.history })),
  events: () => import('./history.js').then((m) => ({ spec: m.EVENTS_OPTIONS, run: m.events })),
};

async function dispatch(command: string | undefined, rest: string[]): Promise<number> {
  if (command !== undefined && Object.hasOwn(simple, command)) {
    const c = await simple[command]!();
    const p = parseCommandLine(rest, c.spec, { positionals: c.positionals ?? 0 });
    return p.help ? helpFor(command)() : c.run(p);
  }
  switch (command) {
    case 'run':
      return (await import('./run.js')).run(rest, helpFor('run'));
    case 'apps':
      return (await import('./remote.js')).apps(rest, verbHelp('apps'));
    case 'caps':
      return (await import('./remote.js')).caps(rest, verbHelp('caps'));
    case 'profile':
      return (await import('./remote.js')).profile(rest, verbHelp('profile'));
    case 'quotas':
      return (await import('./quotas.js')).quotas(rest, helpFor('quotas'));
    case 'service':
      return (await import('./service.js')).service(rest, verbHelp('service'));
    case 'exec-adopted':
      return (await import('./adopt.js')).execAdoptedCommand(rest, helpFor('exec-adopted'));
    case 'schedule':
      return (await import('./schedule.js')).schedule(rest, verbHelp('schedule'));
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
