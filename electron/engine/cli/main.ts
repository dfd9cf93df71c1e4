// The `interceptor` command line:
//   interceptor serve [--port N] [--host ADDR] [--config-dir DIR]
//   interceptor run [--cpu 25%] [--up 1MB/s] [--down 2MB/s] [--disk 10MB/s] [--mem 512MB] [--quiet] -- CMD ARGS
//   interceptor status [--json] | pause [--for 15m|1h] | resume      (talk to a running `serve`)
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CommandError } from '../../common/contract.js';
import type { AppSnapshot, Capacities, FullState, OwnerLimits, ResourceFigures, Snapshot } from '../../common/model.js';
import {
  RESOURCES,
  RESOURCE_LABELS,
  UnitParseError,
  formatBytes,
  formatFraction,
  formatRate,
  formatResourceValue,
  parseBytes,
  parseFraction,
  parseRate,
  type ByteRateResource,
  type Resource,
} from '../../common/resources.js';
import { DEFAULT_DISK_PROBE_BYTES, DiskMeasureError, REAL_ROOTS, detectLinkCapacity, measureDisk, type SystemRoots } from '../capacity.js';
import { createEngine, type Engine } from '../index.js';
import { connectRemote } from '../server/client.js';
import { startServer } from '../server/server.js';
import { defaultConfigDir, writeFileAtomic } from '../settings.js';
import { packageVersion } from '../paths.js';

export const EXIT_USAGE = 2;
export const SERVER_FILE = 'server.json';

class UsageError extends Error {}

const USAGE = `Usage:
  interceptor serve [--port N] [--host ADDR] [--config-dir DIR] [--no-autostart]
      Run the engine headless; serve the dashboard and the API on http://127.0.0.1:N
      (a random token is printed with the URL and required on every request).
  interceptor run [--cpu 25%] [--up 1MB/s] [--down 2MB/s] [--disk 10MB/s] [--mem 512MB] [--quiet] -- CMD [ARGS...]
      Run one program in the foreground under these caps (CPU: percent of the whole
      machine; rates in kB/s, MB/s, or a percent of the capacity: --up 50% of the
      link's speed, --disk 10% of the disk's, measured now; memory in MB, GB).
      Its exit code is ours.
  interceptor status [--json]          Show the running server's apps and figures.
  interceptor pause [--for 15m|1h]     Pause all apps (until resumed, or for a while).
  interceptor resume                   End a pause of all apps.
  Options for status, pause, resume: --url URL --token TOKEN --config-dir DIR
  interceptor --version | --help
`;

interface ParsedFlags {
  flags: Map<string, string | true>;
  rest: string[];
}

/** --name value, --name=value, boolean --name; stops at `--` or the first non-flag when stopAtPositional. */
function parseFlags(argv: string[], spec: Record<string, 'value' | 'bool'>, stopAtPositional: boolean): ParsedFlags {
  const flags = new Map<string, string | true>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      const kind = spec[name];
      if (!kind) throw new UsageError(`unknown option --${name}`);
      if (kind === 'bool') {
        if (eq >= 0) throw new UsageError(`--${name} takes no value`);
        flags.set(name, true);
      } else {
        const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
        if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
        flags.set(name, value);
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) throw new UsageError(`unknown option ${arg}`);
    if (stopAtPositional) {
      rest.push(...argv.slice(i));
      break;
    }
    rest.push(arg);
  }
  return { flags, rest };
}

export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`cannot read duration "${text}": expected e.g. 90s, 15m, 1h, 2d`);
  const unit = (m[2] ?? 'm').toLowerCase();
  const mult = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'h' ? 3_600_000 : unit === 'd' ? 86_400_000 : 60_000;
  const ms = Math.round(Number(m[1]) * mult);
  if (ms < 1) throw new UsageError(`duration "${text}" is too short`);
  return ms;
}

function str(v: string | true | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest);
      case 'run':
        return await run(rest);
      case 'status':
        return await status(rest);
      case 'pause':
        return await pauseResume(rest, 'pause');
      case 'resume':
        return await pauseResume(rest, 'resume');
      case '--version':
      case 'version':
        process.stdout.write(`interceptor ${packageVersion()}\n`);
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(USAGE);
        return command === undefined ? EXIT_USAGE : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof UnitParseError) {
      process.stderr.write(`interceptor: ${error.message}\nRun \`interceptor --help\` for usage.\n`);
      return EXIT_USAGE;
    }
    if (error instanceof CommandError) {
      process.stderr.write(`interceptor: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`interceptor: ${(error as Error)?.stack ?? String(error)}\n`);
    return 1;
  }
}

// ───────────────────────────── serve ─────────────────────────────

async function serve(argv: string[]): Promise<number> {
  const { flags, rest } = parseFlags(argv, { port: 'value', host: 'value', 'config-dir': 'value', 'no-autostart': 'bool' }, false);
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const portText = str(flags.get('port'));
  const port = portText === undefined ? 0 : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number (0-65535), not "${portText}"`);
  const host = str(flags.get('host'));
  const configDir = path.resolve(str(flags.get('config-dir')) ?? defaultConfigDir());
  const engine = await createEngine({ configDir, autostart: !flags.has('no-autostart'), systemRoots: systemRootsFromEnv() });
  let server;
  try {
    server = await startServer(engine, { port, host, warn: (m) => process.stderr.write(`interceptor: warning: ${m}\n`) });
  } catch (error) {
    await engine.shutdown({ leaveRunning: false });
    throw new CommandError('unavailable', `cannot listen on ${host ?? '127.0.0.1'}:${port}: ${(error as Error).message}`);
  }
  const serverFile = path.join(configDir, SERVER_FILE);
  await writeFileAtomic(serverFile, JSON.stringify({ origin: server.origin, url: server.url, token: server.token, pid: process.pid }, null, 2) + '\n', 0o600);
  const state = await engine.invoke('getState', {});
  process.stdout.write(`Interceptor ${state.version} is serving the dashboard at\n  ${server.url}\n`);
  if (!state.platform.enforcement) process.stdout.write(`Enforcement unavailable: ${state.platform.reason}\n`);
  process.stdout.write('Press Ctrl-C to stop.\n');

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stdout.write(`\n${signal}: stopping\n`);
      await server.close().catch(() => undefined);
      await engine.shutdown().catch(() => undefined);
      try {
        const current = JSON.parse(readFileSync(serverFile, 'utf8')) as { pid?: number };
        if (current.pid === process.pid) await fs.rm(serverFile, { force: true });
      } catch {
        // already gone
      }
      resolve(0);
    };
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void stop(sig));
  });
}

// ───────────────────────────── status, pause, resume ─────────────────────────────

async function connectFromFlags(flags: Map<string, string | true>) {
  let origin = str(flags.get('url'));
  let token = str(flags.get('token'));
  if (origin) {
    try {
      const u = new URL(origin);
      token ??= u.searchParams.get('token') ?? undefined;
      origin = u.origin;
    } catch {
      throw new UsageError(`--url "${origin}" is not a URL`);
    }
  }
  if (!origin || !token) {
    const configDir = path.resolve(str(flags.get('config-dir')) ?? defaultConfigDir());
    const file = path.join(configDir, SERVER_FILE);
    let info: { origin?: string; token?: string };
    try {
      info = JSON.parse(await fs.readFile(file, 'utf8')) as typeof info;
    } catch {
      throw new CommandError('unavailable', `no running server found (${file} is missing): start one with \`interceptor serve\`, or pass --url and --token`);
    }
    origin ??= info.origin;
    token ??= info.token;
  }
  if (!origin || !token) throw new CommandError('unavailable', 'the server file does not name a URL and token');
  return connectRemote(origin, token);
}

async function status(argv: string[]): Promise<number> {
  const { flags, rest } = parseFlags(argv, { json: 'bool', url: 'value', token: 'value', 'config-dir': 'value' }, false);
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const remote = await connectFromFlags(flags);
  try {
    const state = await remote.invoke('getState', {});
    const history = await remote.invoke('getHistory', { seconds: 5 });
    const snap = history[history.length - 1] ?? null;
    if (flags.has('json')) {
      process.stdout.write(JSON.stringify({ state, snapshot: snap }, null, 2) + '\n');
      return 0;
    }
    process.stdout.write(formatStatus(state, snap));
    return 0;
  } finally {
    await remote.close();
  }
}

export function formatStatus(state: FullState, snap: Snapshot | null): string {
  const lines: string[] = [];
  lines.push(`Interceptor ${state.version} — profile ${state.profile}${state.platform.enforcement ? '' : ` — ENFORCEMENT UNAVAILABLE: ${state.platform.reason}`}`);
  if (state.pause) lines.push(`All apps paused ${state.pause.until === null ? 'until resumed' : `until ${new Date(state.pause.until).toLocaleString()}`}`);
  lines.push(`Caps: ${formatLimits(state.profiles[state.profile])}`);
  if (state.capacity) lines.push(`Capacity: ${formatCapacities(state.capacity)}`);
  if (state.apps.length === 0) lines.push('No apps.');
  for (const app of state.apps) {
    const s = snap?.apps.find((a) => a.id === app.definition.id);
    const exit = app.exitCode !== null ? ` (exit ${app.exitCode})` : app.exitSignal ? ` (${app.exitSignal})` : '';
    lines.push(`  ${app.definition.id.padEnd(20)} ${app.state.padEnd(8)}${exit}${app.pid ? ` pid ${app.pid}` : ''}`);
    if (s && (app.state === 'running' || app.state === 'waiting' || app.state === 'held' || app.state === 'paused')) lines.push(`    ${formatFigures(s.resources)}`);
  }
  if (snap) lines.push(`Total: ${formatFigures(snap.total)}`);
  return lines.join('\n') + '\n';
}

function formatLimits(limits: OwnerLimits): string {
  return RESOURCES.map((r) => `${RESOURCE_LABELS[r]} ${formatResourceValue(r, limits[r])}`).join(', ');
}

function formatCapacities(c: Capacities): string {
  return (['netUp', 'netDown', 'disk'] as const)
    .map((r) => {
      const x = c[r];
      if (x.bytesPerSec === null) return `${RESOURCE_LABELS[r]} unknown`;
      return `${RESOURCE_LABELS[r]} ${formatRate(x.bytesPerSec)} (${x.source === 'owner' ? 'owner' : (x.method ?? 'measured')})`;
    })
    .join(', ');
}

function formatFigures(f: ResourceFigures): string {
  const fmt = (r: Resource, v: number) => (r === 'cpu' ? formatFraction(v) : r === 'mem' ? formatBytes(v) : formatRate(v));
  return RESOURCES.map((r) => `${r} ${fmt(r, f[r].recent)}${f[r].held > 0 && r !== 'cpu' && r !== 'mem' ? ` (${formatBytes(f[r].held)} held)` : ''}`).join('  ');
}

async function pauseResume(argv: string[], what: 'pause' | 'resume'): Promise<number> {
  const spec: Record<string, 'value' | 'bool'> = { url: 'value', token: 'value', 'config-dir': 'value' };
  if (what === 'pause') spec.for = 'value';
  const { flags, rest } = parseFlags(argv, spec, false);
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const forText = str(flags.get('for'));
  const durationMs = forText === undefined ? null : parseDuration(forText);
  if (durationMs !== null && durationMs > 30 * 86_400_000) throw new UsageError('a pause lasts at most 30 days');
  const remote = await connectFromFlags(flags);
  try {
    if (what === 'pause') {
      const state = await remote.invoke('pauseAll', { durationMs });
      process.stdout.write(`All apps paused ${state.pause?.until ? `until ${new Date(state.pause.until).toLocaleString()}` : 'until resumed'}.\n`);
    } else {
      await remote.invoke('resumeAll', {});
      process.stdout.write('All apps resumed.\n');
    }
    return 0;
  } finally {
    await remote.close();
  }
}

// ───────────────────────────── run ─────────────────────────────

export interface RunCaps {
  cpu: number | null;
  netUp: number | null;
  netDown: number | null;
  disk: number | null;
  mem: number | null;
}

const RATE_FLAGS: Record<ByteRateResource, string> = { netUp: 'up', netDown: 'down', disk: 'disk' };

/** A rate flag: an absolute rate ("1MB/s") or a percent of the capacity ("50%"). */
function parseRateOrPercent(text: string): { rate: number } | { fraction: number } {
  if (/%\s*$/.test(text)) return { fraction: parseFraction(text) };
  return { rate: parseRate(text) };
}

export function parseRunArgs(argv: string[]): {
  caps: RunCaps;
  /** Caps given as a fraction of the link's or the disk's capacity, resolved before the run. */
  relative: Partial<Record<ByteRateResource, number>>;
  quiet: boolean;
  command: string;
  args: string[];
} {
  const { flags, rest } = parseFlags(argv, { cpu: 'value', up: 'value', down: 'value', disk: 'value', mem: 'value', quiet: 'bool' }, true);
  const get = (name: string) => str(flags.get(name));
  const caps: RunCaps = {
    cpu: get('cpu') !== undefined ? parseFraction(get('cpu')!) : null,
    netUp: null,
    netDown: null,
    disk: null,
    mem: get('mem') !== undefined ? parseBytes(get('mem')!) : null,
  };
  const relative: Partial<Record<ByteRateResource, number>> = {};
  for (const r of ['netUp', 'netDown', 'disk'] as const) {
    const text = get(RATE_FLAGS[r]);
    if (text === undefined) continue;
    const v = parseRateOrPercent(text);
    if ('rate' in v) caps[r] = v.rate;
    else relative[r] = v.fraction;
  }
  if (caps.cpu === 0) throw new UsageError('--cpu 0% would never let the program run');
  const [command, ...args] = rest;
  if (!command) throw new UsageError('missing command: interceptor run [caps] -- CMD [ARGS...]');
  return { caps, relative, quiet: flags.has('quiet'), command, args };
}

/** procfs/sysfs roots for the link capacity; INTERCEPTOR_PROC_ROOT and INTERCEPTOR_SYS_ROOT exist for tests. */
export function systemRootsFromEnv(env: NodeJS.ProcessEnv = process.env): SystemRoots {
  return { proc: env.INTERCEPTOR_PROC_ROOT || REAL_ROOTS.proc, sys: env.INTERCEPTOR_SYS_ROOT || REAL_ROOTS.sys };
}

/**
 * Turn "--up 50%" into a rate: the network from the default-route link's speed (read
 * now), the disk from a measurement now (one line says so). No capacity: a clear error.
 */
async function resolveRelativeCaps(
  caps: RunCaps,
  relative: Partial<Record<ByteRateResource, number>>,
  opts: { roots: SystemRoots; diskDir: string; say: (line: string) => void },
): Promise<void> {
  const flag = (r: ByteRateResource) => `--${RATE_FLAGS[r]} ${formatFraction(relative[r]!)}`;
  const net = (['netUp', 'netDown'] as const).filter((r) => relative[r] !== undefined);
  if (net.length) {
    const link = detectLinkCapacity(opts.roots);
    if (!link.ok) {
      throw new CommandError(
        'unavailable',
        `${net.map(flag).join(' and ')} need the link's capacity, but ${link.reason}; give an absolute rate instead, such as --${RATE_FLAGS[net[0]!]} 1MB/s`,
      );
    }
    for (const r of net) caps[r] = Math.round(relative[r]! * link.capacity.bytesPerSec!);
  }
  if (relative.disk !== undefined) {
    let m;
    try {
      m = await measureDisk(opts.diskDir, { bytes: DEFAULT_DISK_PROBE_BYTES, timeoutMs: 60_000 });
    } catch (error) {
      const why = error instanceof DiskMeasureError ? error.message : (error as Error).message;
      throw new CommandError('unavailable', `${flag('disk')} needs the disk's capacity, but measuring it in ${opts.diskDir} failed (${why}); give an absolute rate instead, such as --disk 10MB/s`);
    }
    caps.disk = Math.round(relative.disk * m.bytesPerSec);
    opts.say(`[interceptor] disk capacity measured now in ${opts.diskDir}: ${formatRate(m.bytesPerSec)} (${m.method}); ${flag('disk')} = ${formatRate(caps.disk)}\n`);
  }
}

async function run(argv: string[]): Promise<number> {
  const { caps, relative, quiet, command, args } = parseRunArgs(argv);
  const roots = systemRootsFromEnv();
  await resolveRelativeCaps(caps, relative, { roots, diskDir: defaultConfigDir(), say: (line) => process.stderr.write(line) });
  const configDir = await fs.mkdtemp(path.join(os.tmpdir(), 'interceptor-run-'));
  let engine: Engine | null = null;
  const statusTty = process.stderr.isTTY === true;
  try {
    engine = await createEngine({ configDir, autostart: false, terminal: 'inherit', stopGraceMs: 3000, systemRoots: roots, sampleNetwork: false });
    const state = await engine.invoke('getState', {});
    if (!state.platform.enforcement) {
      process.stderr.write(`interceptor: cannot enforce caps here: ${state.platform.reason}\n`);
      return 1;
    }
    const exe = await engine.invoke('checkExecutable', { command, cwd: process.cwd() });
    if (!exe.ok) {
      process.stderr.write(`interceptor: ${exe.error}\n`);
      return 127;
    }
    await engine.invoke('updateSettings', { snapshotHz: statusTty ? 2 : 1, onQuit: 'stop' });
    await engine.invoke('setOwnerLimits', { limits: caps });
    const env: Record<string, string> = {};
    const app = await engine.invoke('addApp', {
      name: path.basename(command).slice(0, 80) || 'app',
      command,
      args,
      cwd: process.cwd(),
      env,
      autostart: false,
      shares: { cpu: caps.cpu ?? 0, netUp: caps.netUp ?? 0, netDown: caps.netDown ?? 0, disk: caps.disk ?? 0, mem: caps.mem ?? 0 },
    });
    const id = app.definition.id;
    const eng = engine;
    let lastLineLength = 0;
    const finished = new Promise<FullState['apps'][number]>((resolve) => {
      eng.on('state', (s) => {
        const a = s.apps.find((x) => x.definition.id === id);
        if (a && (a.state === 'exited' || a.state === 'crashed' || a.state === 'stopped') && a.startedAt !== null) resolve(a);
      });
    });
    if (!quiet) {
      eng.on('snapshot', (snap) => {
        const a = snap.apps.find((x) => x.id === id);
        if (!a || (a.state !== 'running' && a.state !== 'waiting' && a.state !== 'held' && a.state !== 'paused')) return;
        const line = `[interceptor] ${runFigures(a, snap.limits)}`;
        if (statusTty) {
          process.stderr.write(`\r\x1b[K${line}`);
          lastLineLength = line.length;
        } else process.stderr.write(line + '\n');
      });
    }
    eng.on('log', (entry) => {
      if (entry.kind === 'error' || entry.kind === 'memDenied' || entry.kind === 'warning') {
        if (statusTty && lastLineLength) process.stderr.write('\r\x1b[K');
        process.stderr.write(`[interceptor] ${entry.message}\n`);
      }
    });
    let interrupted = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      interrupted++;
      if (interrupted === 1) void eng.invoke('stopApp', { id }).catch(() => undefined);
      else process.stderr.write(`\n[interceptor] ${sig}: already stopping\n`);
    };
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    for (const s of signals) process.on(s, onSignal);
    try {
      await engine.invoke('startApp', { id });
    } catch (error) {
      process.stderr.write(`interceptor: ${(error as Error).message}\n`);
      return 1;
    }
    const result = await finished;
    for (const s of signals) process.off(s, onSignal);
    if (statusTty && lastLineLength) process.stderr.write('\r\x1b[K');
    if (result.exitCode !== null) return result.exitCode;
    const signo = result.exitSignal ? os.constants.signals[result.exitSignal as NodeJS.Signals] : undefined;
    return signo ? 128 + signo : 1;
  } finally {
    await engine?.shutdown({ leaveRunning: false }).catch(() => undefined);
    await fs.rm(configDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

function runFigures(a: AppSnapshot, limits: OwnerLimits): string {
  const f = a.resources;
  const parts = [`cpu ${formatFraction(f.cpu.recent)}${limits.cpu !== null ? `/${formatFraction(limits.cpu)}` : ''} (avg ${formatFraction(f.cpu.sinceStart)})`];
  for (const r of ['netUp', 'netDown', 'disk'] as const) {
    parts.push(`${r === 'netUp' ? 'up' : r === 'netDown' ? 'down' : 'disk'} ${formatRate(f[r].recent)}${limits[r] !== null ? `/${formatRate(limits[r]!)}` : ''}`);
  }
  parts.push(`mem ${formatBytes(f.mem.recent)}${limits.mem !== null ? `/${formatBytes(limits.mem)}` : ''}`);
  if (a.state !== 'running') parts.push(a.state);
  return parts.join('  ');
}

// Entry point when executed directly (bin/interceptor.js imports this module and calls main()).
