// `interceptor run [caps] -- CMD ARGS`: one program in the foreground under caps, like
// cpulimit, trickle and systemd-run together; its exit code is ours.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CommandError } from '../../common/errors.js';
import type { AppSnapshot, FullState, OwnerLimits } from '../../common/model.js';
import { formatBytes, formatFraction, formatRate, parseBytes, parseFraction, parseRate, type ByteRateResource } from '../../common/resources.js';
import { DEFAULT_DISK_PROBE_BYTES, DiskMeasureError, REAL_ROOTS, detectLinkCapacity, measureDisk, type SystemRoots } from '../capacity/measure.js';
import { createCreator } from '../creator/creator.js';
import { checkExecutable } from '../creator/executable.js';
import type { Engine } from '../index.js';
import { defaultConfigDir } from '../paths.js';
import { UsageError, parseCommandLine, str, type OptionSpec } from './args.js';
import { takeFront, type Front } from './front.js';

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

export const RUN_OPTIONS: OptionSpec = {
  cpu: { type: 'string' }, up: { type: 'string' }, down: { type: 'string' }, disk: { type: 'string' }, mem: { type: 'string' },
  'cpu-mechanism': { type: 'string' }, quiet: { type: 'boolean', short: 'q' },
};
const CPU_MECHANISM_CHOICES = ['auto', 'cgroup', 'ptrace'] as const;
type CpuMechanismChoice = (typeof CPU_MECHANISM_CHOICES)[number];

export function parseRunArgs(argv: string[]): {
  caps: RunCaps;
  /** Caps given as a fraction of the link's or the disk's capacity, resolved before the run. */
  relative: Partial<Record<ByteRateResource, number>>;
  quiet: boolean;
  cpuMechanism: CpuMechanismChoice;
  command: string;
  args: string[];
  help: boolean;
} {
  const p = parseCommandLine(argv, RUN_OPTIONS, { command: true });
  const get = (name: string) => str(p.values[name]);
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
  const mechanism = get('cpu-mechanism') ?? 'auto';
  const [command, ...args] = p.command;
  if (p.help) return { caps, relative, quiet: false, cpuMechanism: 'auto', command: command ?? '', args, help: true };
  if (!(CPU_MECHANISM_CHOICES as readonly string[]).includes(mechanism)) throw new UsageError(`--cpu-mechanism must be one of ${CPU_MECHANISM_CHOICES.join(', ')}`);
  if (caps.cpu === 0) throw new UsageError('--cpu 0% would never let the program run');
  if (!command) throw new UsageError('missing command: interceptor run [caps] -- CMD [ARGS...]');
  return { caps, relative, quiet: p.values.quiet === true, cpuMechanism: mechanism as CpuMechanismChoice, command, args, help: false };
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

/**
 * An app with no cap has nothing to wait for: its helper starts now and runs it at once
 * (releaseAtOnce), while the engine loads (~50 ms sooner to the app here: bench/cli-start.ts).
 * Null where enforcement is unavailable: the engine then says why.
 */
async function launchUncapped(resolved: string, args: string[], configDir: string) {
  const creator = await createCreator({ configDir, terminal: 'inherit' });
  if (!creator.available.ok) return null;
  const launched = creator.launch({
    appId: 'early',
    command: resolved,
    args,
    cwd: process.cwd(),
    env: {},
    cols: 100,
    rows: 30,
    // as a fresh engine's settings say; dual priority matters only in CPU slices, which an app with no cap never gets
    onEngineLoss: 'terminate',
    dualPriority: false,
    releaseAtOnce: true,
  });
  // the engine's loading would take a core from the helper's start
  await launched.session.catch(() => undefined);
  return { creator, launched };
}

/** The same, when the front started the helper before node (bin/interceptor, native/src/front.c). */
async function adoptFront(front: Front, configDir: string) {
  const creator = await createCreator({ configDir, terminal: 'inherit', front });
  if (!creator.available.ok) return null; // (the helper ends its app once we are gone: its connection is reset)
  const launched = creator.adoptFront({ token: front.token, pid: front.helperPid });
  await launched.session.catch(() => undefined);
  return { creator, launched };
}

/**
 * SIGINT, SIGTERM and SIGHUP stop the app, once (a second one says so): its helper does before
 * the engine has the app (an early launch), the engine after.
 */
class Interrupts {
  static readonly SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  /** The first signal, if one came. */
  first: NodeJS.Signals | null = null;
  private stop: () => void = () => undefined;
  private readonly onSignal = (sig: NodeJS.Signals) => {
    if (this.first) {
      process.stderr.write(`\n[interceptor] ${sig}: already stopping\n`);
      return;
    }
    this.first = sig;
    this.stop();
  };

  constructor() {
    for (const s of Interrupts.SIGNALS) process.on(s, this.onSignal);
  }

  /** What stops the app from now on (at once if a signal came already). */
  stopWith(stop: () => void): void {
    this.stop = stop;
    if (this.first) stop();
  }

  close(): void {
    for (const s of Interrupts.SIGNALS) process.off(s, this.onSignal);
  }
}

const exitCodeOfSignal = (name: string | null): number => {
  const signo = name ? os.constants.signals[name as NodeJS.Signals] : undefined;
  return signo ? 128 + signo : 1;
};

export async function run(argv: string[], help: () => number): Promise<number> {
  const front = takeFront();
  const { caps, relative, quiet, cpuMechanism, command, args, help: wantsHelp } = parseRunArgs(argv);
  const uncapped = Object.values(caps).every((v) => v === null);
  if (front && (wantsHelp || !uncapped)) {
    process.kill(front.helperPid, 'SIGTERM');
    throw new CommandError('invalid', 'INTERCEPTOR_FRONT: bin/interceptor starts `run -- CMD` alone that way');
  }
  if (wantsHelp) return help();
  const roots = systemRootsFromEnv();
  await resolveRelativeCaps(caps, relative, { roots, diskDir: defaultConfigDir(), say: (line) => process.stderr.write(line) });
  // (checked here, not through the engine: an app with no cap is launched before the engine; said
  // where the engine would say it, after the caps and enforcement)
  const exe = await checkExecutable(command, process.cwd());
  const configDir = await fs.mkdtemp(path.join(os.tmpdir(), 'interceptor-run-'));
  const interrupts = new Interrupts();
  let early: Awaited<ReturnType<typeof launchUncapped>> = null;
  let engine: Engine | null = null;
  let taken = false;
  const statusTty = process.stderr.isTTY === true;
  try {
    if (front) early = await adoptFront(front, configDir);
    else if (exe.resolved && uncapped) early = await launchUncapped(exe.resolved, args, configDir);
    const launched = early?.launched;
    if (launched) interrupts.stopWith(() => launched.kill('SIGTERM'));
    // (loaded only now: an app with no cap is already running)
    const { createEngine } = await import('../index.js');
    // timeZone: a throwaway config has no week schedule, so its zone is never used; the system's
    // would be asked of Intl, which loads its time-zone data first: ~30 ms before the app starts.
    // persistSettings: nothing reads the throwaway settings.json, and its four saves were four
    // fsyncs before the app started, each waiting for the disk's writeback (5–80 ms each here)
    engine = await createEngine({ configDir, autostart: false, terminal: 'inherit', stopGraceMs: 3000, systemRoots: roots, sampleNetwork: false, historyDir: null, timeZone: 'UTC', persistSettings: false, creator: early?.creator });
    const state = await engine.invoke('getState', {});
    if (!state.platform.enforcement) {
      process.stderr.write(`interceptor: cannot enforce caps here: ${state.platform.reason}\n`);
      return 1;
    }
    if (!exe.ok) {
      process.stderr.write(`interceptor: ${exe.error}\n`);
      return 127;
    }
    await engine.invoke('updateSettings', { snapshotHz: statusTty ? 2 : 1, onQuit: 'stop', cpuMechanism });
    if (caps.cpu !== null && cpuMechanism === 'cgroup') {
      const cpu = (await engine.invoke('getState', {})).platform.cpu;
      if (cpu.mechanism !== 'cgroup') {
        process.stderr.write(`interceptor: --cpu-mechanism cgroup: ${cpu.unavailable}\n`);
        return 1;
      }
    }
    await engine.invoke('setOwnerLimits', { limits: caps });
    const env: Record<string, string> = {};
    const app = await engine.invoke('addApp', {
      name: path.basename(command).trim().slice(0, 80) || 'app', // (a file named ' ' is a command too)
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
    // interrupted before anything started: nothing to stop (an early app's helper is stopping it: its end is recorded)
    if (!launched && interrupts.first) return exitCodeOfSignal(interrupts.first);
    interrupts.stopWith(() => void eng.invoke('stopApp', { id }).catch(() => undefined));
    try {
      taken = true;
      if (launched) await engine.startLaunched(id, launched);
      else await engine.invoke('startApp', { id });
    } catch (error) {
      process.stderr.write(`interceptor: ${(error as Error).message}\n`);
      return 1;
    }
    const result = await finished;
    if (statusTty && lastLineLength) process.stderr.write('\r\x1b[K');
    return result.exitCode ?? exitCodeOfSignal(result.exitSignal);
  } finally {
    interrupts.close();
    // an early app the engine never took ends here, not after we exit (its helper ends its tree on SIGTERM)
    if (early && !taken) {
      early.launched.kill('SIGTERM');
      await early.launched.exited;
    }
    // (the engine closes the Creator it was given; one that never came to be does not)
    if (early && !engine) await early.creator.close();
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

