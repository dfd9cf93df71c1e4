// `interceptor run [caps] -- CMD ARGS` as a real process: the app's output on stdout,
// live figures on stderr, its exit code as ours, the CPU cap measured from the app's
// own CPU time, Ctrl-C stopping it cleanly, clear errors.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fsModule from 'node:fs';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import { ROOT, requireHelper, sleep, until, ensureBuilt } from '../helpers.js';

const BIN = path.join(ROOT, 'bin/interceptor.js');
const CORES = os.availableParallelism();

before(ensureBuilt);

function run(args: string[], timeout = 30_000) {
  const r = spawnSync(process.execPath, [BIN, 'run', ...args], { encoding: 'utf8', timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `run` of an app that sleeps, `signal` sent to the CLI `delayMs` after the app's first line: the CLI's exit code, and whether the app outlived it. */
async function interruptRun(signal: NodeJS.Signals, delayMs: number): Promise<{ code: number | null | 'timeout'; appAlive: boolean }> {
  const proc = spawn(process.execPath, [BIN, 'run', '--quiet', '--', 'sh', '-c', 'echo pid:$$; exec sleep 60'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  try {
    await until(() => /pid:\d+/.test(out), 15_000, 'the app started');
    await sleep(delayMs);
    proc.kill(signal);
    const code = await Promise.race([exited, sleep(10_000).then(() => 'timeout' as const)]);
    let appAlive = true;
    try {
      process.kill(Number(/pid:(\d+)/.exec(out)![1]), 0);
    } catch {
      appAlive = false;
    }
    return { code, appAlive };
  } finally {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  }
}

function machineBusy(): { busy: number; total: number } {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - v[3]! - v[4]!, total };
}

test('run --cpu 25% gives a CPU-bound program about 25% of the machine', (t) => {
  requireHelper();
  // the program measures itself: CPU seconds used / wall seconds, over 4 s
  const prog = '$s=time; $x++ while time-$s<4; @t=times; printf "cores %.4f\\n", ($t[0]+$t[1])/(time-$s)';
  const m0 = machineBusy();
  const r = run(['--cpu', '25%', '--', 'perl', '-MTime::HiRes=time', '-e', prog]);
  const m1 = machineBusy();
  assert.equal(r.code, 0, r.stderr);
  const m = /cores (\d+\.\d+)/.exec(r.stdout);
  assert.ok(m, `the program's output reached stdout: ${r.stdout}`);
  const share = Number(m[1]) / CORES;
  const machine = (m1.busy - m0.busy) / (m1.total - m0.total);
  const others = Math.max(0, machine - share * 0.8); // the run lasted a little longer than the program's 4 s
  assert.ok(share <= 0.3, `used ${(share * 100).toFixed(1)}% of the machine at a 25% cap`);
  if (others < 0.6) assert.ok(share >= 0.2, `used ${(share * 100).toFixed(1)}% of the machine at a 25% cap (others ${(others * 100).toFixed(0)}%)`);
  else t.diagnostic(`lower bound not checked: other processes used ${(others * 100).toFixed(0)}% of the machine (app ${(share * 100).toFixed(1)}%)`);
  // live figures on stderr, a line per second when stderr is not a terminal
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('[interceptor] cpu'));
  assert.ok(lines.length >= 2, r.stderr);
  assert.match(lines[lines.length - 1]!, /cpu \d+(\.\d+)?%\/25%/);
});

test('the exit code of the app is the exit code of the CLI', () => {
  requireHelper();
  let r = run(['--', 'sh', '-c', 'echo out-line; echo err-line >&2; exit 3']);
  assert.equal(r.code, 3);
  assert.match(r.stdout, /^out-line$/m);
  assert.match(r.stderr, /err-line/);
  r = run(['--quiet', '--', 'true']);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
  r = run(['--', 'sh', '-c', 'kill -KILL $$']);
  assert.equal(r.code, 128 + 9);
  // without `--`, the first word that is not an option starts the command
  r = run(['--cpu=50%', 'sh', '-c', 'exit 4']);
  assert.equal(r.code, 4);
});

test('an app with no cap starts before the engine has loaded, and the engine then takes it: its figures, its exit code', () => {
  requireHelper();
  // (the app's first line comes before the engine exists: cli/run.ts launchUncapped; bench/cli-start.ts times it)
  const r = run(['--', 'sh', '-c', 'echo started; sleep 1.5; exit 5']);
  assert.equal(r.code, 5);
  assert.match(r.stdout, /^started$/m);
  assert.match(r.stderr, /^\[interceptor\] cpu .* mem /m, 'the engine reported the running app');
});

test('a signal while the engine loads stops an app with no cap as cleanly as later', async () => {
  requireHelper();
  for (const delayMs of [0, 40, 400]) {
    const r = await interruptRun('SIGTERM', delayMs);
    assert.deepEqual(r, { code: 128 + 15, appAlive: false }, `after ${delayMs} ms`);
  }
});

test('a program whose name is blank runs too (the app is named "app")', (t) => {
  requireHelper();
  const dir = fsModule.mkdtempSync(path.join(os.tmpdir(), 'interceptor-run-name-'));
  t.after(() => fsModule.rmSync(dir, { recursive: true, force: true }));
  fsModule.writeFileSync(path.join(dir, ' '), '#!/bin/sh\necho blank-name\n', { mode: 0o755 });
  const r = run(['--', path.join(dir, ' ')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^blank-name$/m);
});

test('a missing command is a clear error (127); bad flags exit 2', () => {
  let r = run(['--', 'no-such-command-xyz']);
  requireHelper();
  assert.equal(r.code, 127);
  assert.match(r.stderr, /"no-such-command-xyz" was not found in PATH/);
  r = run(['--cpu', '25%', '--down', 'fast', '--', 'true']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /fast/);
  r = run(['--cpu', '25%']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /missing command/);
});

test('Ctrl-C (SIGINT to the CLI) stops the app cleanly', async () => {
  requireHelper();
  const r = await interruptRun('SIGINT', 0);
  assert.ok(r.code === 128 + 15 || r.code === 128 + 2, `exit code ${r.code}`);
  assert.equal(r.appAlive, false, 'the app is gone');
});

test('run --mem caps memory: allocations past the ceiling are refused and reported', () => {
  requireHelper();
  const memhog = path.join(ROOT, 'native/build/test/memhog');
  const r = run(['--mem', '64MB', '--', memhog, 'mmap', '16', '10']);
  assert.equal(r.code, 0, 'the app survives a denied allocation');
  const ok = Number(/ok (\d+)/.exec(r.stdout)?.[1] ?? NaN);
  assert.ok(ok < 10, `not all 160 MiB were granted under a 64 MB cap (ok ${ok})`);
  assert.match(r.stdout, /alive/);
  assert.match(r.stderr, /was refused .* more memory: it is at its memory ceiling/);
});

test('run --disk 1MB/s paces a 3 MB write to about 3 s', async () => {
  requireHelper();
  const { mkdtempSync, rmSync } = await import('node:fs');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'interceptor-disk-'));
  try {
    const t0 = Date.now();
    const r = run(['--quiet', '--disk', '1MB/s', '--', 'dd', 'if=/dev/zero', `of=${path.join(dir, 'out')}`, 'bs=64k', 'count=48']);
    const took = (Date.now() - t0) / 1000;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(took >= 2.4 && took < 8, `3.1 MB at 1 MB/s took ${took.toFixed(2)} s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('run --down 1MB/s paces a loopback TCP download', async () => {
  requireHelper();
  const net = await import('node:net');
  const payload = Buffer.alloc(2_000_000, 7);
  const server = net.createServer((s) => s.end(payload));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  try {
    const prog = `use IO::Socket::INET; my $s = IO::Socket::INET->new("127.0.0.1:${port}") or die "connect: $!"; my ($n, $b) = (0, ""); while ((my $r = sysread($s, $b, 65536)) > 0) { $n += $r } print "got $n\\n";`;
    const t0 = Date.now();
    const proc = spawn(process.execPath, [BIN, 'run', '--quiet', '--down', '1MB/s', '--', 'perl', '-e', prog], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
    const took = (Date.now() - t0) / 1000;
    assert.equal(code, 0, err);
    assert.match(out, /got 2000000/);
    assert.ok(took >= 1.5 && took < 8, `2 MB at 1 MB/s took ${took.toFixed(2)} s`);
  } finally {
    server.close();
  }
});

// ——— caps as a percent of the capacity (fixture /proc and /sys through INTERCEPTOR_PROC_ROOT / _SYS_ROOT) ———

function capacityFixture(routeLine: string | null, speed: string): { env: NodeJS.ProcessEnv; configHome: string; cleanup: () => void } {
  const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = fsModule;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'interceptor-cli-capacity-'));
  mkdirSync(path.join(dir, 'proc/net'), { recursive: true });
  mkdirSync(path.join(dir, 'sys/class/net/eth0'), { recursive: true });
  mkdirSync(path.join(dir, 'config'), { recursive: true });
  const header = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT';
  writeFileSync(path.join(dir, 'proc/net/route'), [header, ...(routeLine ? [routeLine] : []), ''].join('\n'));
  writeFileSync(path.join(dir, 'proc/net/dev'), 'Inter-|\n face |\n  eth0: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n');
  writeFileSync(path.join(dir, 'sys/class/net/eth0/speed'), speed);
  return {
    env: { ...process.env, INTERCEPTOR_PROC_ROOT: path.join(dir, 'proc'), INTERCEPTOR_SYS_ROOT: path.join(dir, 'sys'), XDG_CONFIG_HOME: path.join(dir, 'config') },
    configHome: path.join(dir, 'config'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
const DEFAULT_ROUTE = 'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0';

function runEnv(args: string[], env: NodeJS.ProcessEnv, timeout = 60_000) {
  const r = spawnSync(process.execPath, [BIN, 'run', ...args], { encoding: 'utf8', timeout, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('run --up 50%: no link capacity is a clear error that suggests an absolute rate', (t) => {
  const fx = capacityFixture(null, '1000');
  t.after(fx.cleanup);
  let r = runEnv(['--up', '50%', '--', 'true'], fx.env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--up 50% need the link's capacity, but there is no default route .*; give an absolute rate instead, such as --up 1MB\/s/);
  const wifi = capacityFixture(DEFAULT_ROUTE, '-1');
  t.after(wifi.cleanup);
  r = runEnv(['--down', '25%', '--', 'true'], wifi.env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /eth0 reports no link speed .*such as --down 1MB\/s/);
  r = runEnv(['--up', '150%', '--', 'true'], wifi.env);
  assert.equal(r.code, 2, 'more than 100% is a usage error');
  assert.match(r.stderr, /between 0% and 100%/);
});

test('run --up 50% --down 20%: percents of the link speed', (t) => {
  requireHelper();
  const fx = capacityFixture(DEFAULT_ROUTE, '1000');
  t.after(fx.cleanup);
  const r = runEnv(['--up', '50%', '--down', '20%', '--', 'sh', '-c', 'sleep 2.5'], fx.env);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /disk capacity/, 'the disk is measured only for --disk N%');
  // 1000 Mb/s = 125 MB/s: up 62.5 MB/s, down 25 MB/s
  const figures = r.stderr.split('\n').filter((l) => l.startsWith('[interceptor] cpu'));
  assert.ok(figures.length >= 1, r.stderr);
  assert.match(figures[0]!, /up [\d.]+ [kMG]?B\/s\/62\.5 MB\/s {2}down [\d.]+ [kMG]?B\/s\/25 MB\/s {2}disk [\d.]+ [kMG]?B\/s {2}/);
});

test('run --disk 10%: the disk is measured now (one line says so) in the config dir, no file left', (t) => {
  const fx = capacityFixture(DEFAULT_ROUTE, '1000');
  t.after(fx.cleanup);
  // a missing program: the run ends right after the caps are resolved (this test needs no helper)
  const r = runEnv(['--disk', '10%', '--', 'no-such-command-xyz'], fx.env);
  assert.ok(r.code === 127 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
  const diskLines = r.stderr.split('\n').filter((l) => /disk capacity measured now/.test(l));
  assert.equal(diskLines.length, 1, r.stderr);
  const m = /^\[interceptor\] disk capacity measured now in (.+): ([\d.]+ [kMG]?B\/s) \((sequential write.*)\); --disk 10% = ([\d.]+ [kMG]?B\/s)$/.exec(diskLines[0]!);
  assert.ok(m, diskLines[0]);
  assert.equal(m[1], path.join(fx.configHome, 'interceptor'));
  assert.deepEqual(fsModule.readdirSync(m[1]), []);
});

test('run --up 200MB/s on a 1000 Mb/s link is refused: above the capacity', (t) => {
  requireHelper();
  const fx = capacityFixture(DEFAULT_ROUTE, '1000');
  t.after(fx.cleanup);
  const r = runEnv(['--up', '200MB/s', '--', 'true'], fx.env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /netUp cap of 200 MB\/s is above the capacity of the link, 125 MB\/s \(measured: eth0 link speed 1000 Mb\/s\)/);
});
