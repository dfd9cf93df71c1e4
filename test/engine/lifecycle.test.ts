// The Creator and app lifecycle on real processes under the real helper: start,
// stop (SIGTERM, then SIGKILL after the grace period), restart, exit codes kept,
// autostart, the terminal stream (terminalData, backlog, input, flow control),
// and the refusal to start anything when enforcement is unavailable.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CommandError } from '../../electron/common/contract.js';
import type { AppView } from '../../electron/common/model.js';
import { createEngine, type Engine } from '../../electron/engine/index.js';
import { requireHelper, sleep, tempDir, testEngine, until, waitFor, zeroShares } from './helpers.js';


async function appState(engine: Engine, id: string): Promise<AppView> {
  const s = await engine.invoke('getState', {});
  return s.apps.find((a) => a.definition.id === id)!;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('start and stop a real app; SIGTERM ends it quickly; the exit is recorded', async (t) => {
  requireHelper();
  const { engine } = await testEngine(t);
  await engine.invoke('addApp', { name: 'sleeper', command: 'sleep', args: ['60'] });
  const started = await engine.invoke('startApp', { id: 'sleeper' });
  assert.equal(started.state, 'running');
  assert.ok(started.pid && started.pid > 1);
  assert.ok(alive(started.pid!));
  await assert.rejects(engine.invoke('startApp', { id: 'sleeper' }), (e: unknown) => e instanceof CommandError && e.code === 'conflict');
  const t0 = Date.now();
  const stopped = await engine.invoke('stopApp', { id: 'sleeper' });
  assert.ok(Date.now() - t0 < 4000, 'SIGTERM was enough (no 5 s grace)');
  assert.equal(stopped.state, 'stopped');
  assert.ok(stopped.exitSignal === 'SIGTERM' || stopped.exitCode === 143, JSON.stringify(stopped));
  await until(() => !alive(started.pid!), 3000, 'the app is gone');
  const log = await engine.invoke('getEventLog', { sinceSeq: 0 });
  assert.ok(log.some((e) => e.kind === 'start' && e.appId === 'sleeper'));
  assert.ok(log.some((e) => e.kind === 'exit' && e.appId === 'sleeper'));
  // (root and a cgroup v2 hierarchy here: its UDP is counted, nothing to say)
  assert.deepEqual(log.filter((e) => /UDP/.test(e.message)), []);
});

test("where UDP cannot be counted while apps are uncapped, the log says so once, with the helper's reason", async (t) => {
  requireHelper();
  process.env.INTERCEPTOR_HELPER_NO_UDPCOUNT = '1'; // (the helpers inherit the engine's environment)
  t.after(() => delete process.env.INTERCEPTOR_HELPER_NO_UDPCOUNT);
  const { engine } = await testEngine(t);
  for (const name of ['one', 'two']) {
    await engine.invoke('addApp', { name, command: 'sleep', args: ['60'] });
    await engine.invoke('startApp', { id: name });
  }
  const said = (await engine.invoke('getEventLog', { sinceSeq: 0 })).filter((e) => /UDP/.test(e.message));
  assert.equal(said.length, 1, JSON.stringify(said));
  assert.equal(said[0]!.kind, 'warning');
  assert.match(said[0]!.message, /not counted while an app has no network cap.*turned off \(INTERCEPTOR_HELPER_NO_UDPCOUNT=1\)/);
  for (const name of ['one', 'two']) await engine.invoke('stopApp', { id: name });
});

test('an app that ignores SIGTERM is killed after the grace period', async (t) => {
  requireHelper();
  const { engine } = await testEngine(t, { stopGraceMs: 1000 });
  await engine.invoke('addApp', { name: 'stubborn', command: 'sh', args: ['-c', 'trap "" TERM; echo ready; while :; do sleep 0.2; done'] });
  const ready = waitFor(engine, 'terminalData', (d) => d.id === 'stubborn' && d.data.includes('ready'));
  const started = await engine.invoke('startApp', { id: 'stubborn' });
  await ready;
  const t0 = Date.now();
  const stopped = await engine.invoke('stopApp', { id: 'stubborn' });
  const took = Date.now() - t0;
  assert.ok(took >= 900 && took < 6000, `took ${took} ms`);
  assert.equal(stopped.state, 'stopped');
  assert.ok(stopped.exitSignal === 'SIGKILL' || stopped.exitCode === 137, JSON.stringify(stopped));
  await until(() => !alive(started.pid!), 3000, 'the app is gone');
});

test('exit codes are kept: 0 → exited, non-zero → crashed; restart gives a new process', async (t) => {
  requireHelper();
  const { engine } = await testEngine(t);
  await engine.invoke('addApp', { name: 'ok', command: 'true' });
  await engine.invoke('addApp', { name: 'bad', command: 'sh', args: ['-c', 'exit 7'] });
  await engine.invoke('startApp', { id: 'ok' });
  await engine.invoke('startApp', { id: 'bad' });
  await until(async () => (await appState(engine, 'ok')).state === 'exited', 10_000, 'ok exits');
  await until(async () => (await appState(engine, 'bad')).state === 'crashed', 10_000, 'bad exits');
  assert.equal((await appState(engine, 'ok')).exitCode, 0);
  assert.equal((await appState(engine, 'bad')).exitCode, 7);
  const log = await engine.invoke('getEventLog', { sinceSeq: 0 });
  assert.ok(log.some((e) => e.kind === 'crash' && e.appId === 'bad' && /exit code 7/.test(e.message)));

  await engine.invoke('addApp', { name: 'again', command: 'sleep', args: ['60'] });
  const first = await engine.invoke('startApp', { id: 'again' });
  const second = await engine.invoke('restartApp', { id: 'again' });
  assert.equal(second.state, 'running');
  assert.notEqual(second.pid, first.pid);
  assert.ok(!alive(first.pid!));
  // restart of a stopped app starts it
  await engine.invoke('stopApp', { id: 'again' });
  assert.equal((await engine.invoke('restartApp', { id: 'again' })).state, 'running');
});

test('autostart apps start with the engine; shutdown stops them', async (t) => {
  requireHelper();
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  let engine = await createEngine({ configDir: dir, autostart: false });
  await engine.invoke('addApp', { name: 'auto', command: 'sleep', args: ['60'], autostart: true });
  await engine.invoke('addApp', { name: 'manual', command: 'sleep', args: ['60'] });
  await engine.shutdown();
  engine = await createEngine({ configDir: dir });
  let pid: number | null = null;
  try {
    const s = await engine.invoke('getState', {});
    const auto = s.apps.find((a) => a.definition.id === 'auto')!;
    assert.equal(auto.state, 'running');
    pid = auto.pid;
    assert.equal(s.apps.find((a) => a.definition.id === 'manual')!.state, 'stopped');
  } finally {
    await engine.shutdown();
  }
  assert.ok(pid);
  await until(() => !alive(pid!), 5000, 'shutdown stopped the app');
});

test('terminal: output arrives as terminalData and in the backlog; input reaches the app', async (t) => {
  requireHelper();
  const { engine } = await testEngine(t);
  await engine.invoke('addApp', { name: 'echo', command: 'sh', args: ['-c', 'echo hello-from-app; read line; echo "got:$line"; sleep 30'] });
  let seen = '';
  engine.on('terminalData', (d) => {
    if (d.id === 'echo') seen += d.data;
  });
  await engine.invoke('startApp', { id: 'echo' });
  await until(() => seen.includes('hello-from-app'), 10_000, 'output');
  await engine.invoke('resizeTerminal', { id: 'echo', cols: 120, rows: 40 });
  await engine.invoke('writeTerminal', { id: 'echo', data: 'abc\r' });
  await until(() => seen.includes('got:abc'), 10_000, 'echoed input');
  const backlog = await engine.invoke('getTerminalBacklog', { id: 'echo' });
  assert.match(backlog, /hello-from-app[\s\S]*got:abc/);
});

test('terminal flow control: a chatty app is paused, memory stays bounded', async (t) => {
  requireHelper();
  const { engine } = await testEngine(t, { terminalMaxBytesPerSecond: 256 * 1024 });
  await engine.invoke('addApp', { name: 'chatty', command: 'yes', args: ['0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'] });
  let bytes = 0;
  engine.on('terminalData', (d) => {
    if (d.id === 'chatty') bytes += d.data.length;
  });
  await engine.invoke('startApp', { id: 'chatty' });
  await sleep(2000);
  const got = bytes;
  // 2 s at 256 KiB/s, plus the pty's own buffer and one batch
  assert.ok(got > 100 * 1024, `some output arrived (${got})`);
  assert.ok(got < 2 * 256 * 1024 + 512 * 1024, `output was rate-limited (${got} bytes in 2 s)`);
  const backlog = await engine.invoke('getTerminalBacklog', { id: 'chatty' });
  assert.ok(backlog.length <= 256 * 1024, `backlog bounded (${backlog.length})`);
  await engine.invoke('stopApp', { id: 'chatty' });
});

test('a missing command and unavailable enforcement are clear errors; nothing runs uncapped', async (t) => {
  const { engine } = await testEngine(t, { helperPath: '/nonexistent/interceptor-helper' });
  const s = await engine.invoke('getState', {});
  assert.equal(s.platform.enforcement, false);
  assert.ok(s.platform.reason && s.platform.reason.length > 10, s.platform.reason ?? '');
  await engine.invoke('addApp', { name: 'x', command: 'sleep', args: ['1'] });
  await assert.rejects(engine.invoke('startApp', { id: 'x' }), (e: unknown) => e instanceof CommandError && e.code === 'unavailable');
  assert.equal((await appState(engine, 'x')).state, 'stopped');
  const check = await engine.invoke('checkExecutable', { command: 'definitely-not-a-command-xyz' });
  assert.deepEqual(check, { ok: false, resolved: null, error: '"definitely-not-a-command-xyz" was not found in PATH' });
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writeFileSync(path.join(dir, 'plain.txt'), 'x', { mode: 0o644 });
  const noexec = await engine.invoke('checkExecutable', { command: './plain.txt', cwd: dir });
  assert.equal(noexec.ok, false);
  assert.match(noexec.error!, /not executable/);
  assert.equal((await engine.invoke('checkExecutable', { command: 'sh' })).ok, true);
});

test('starting an app whose command is missing fails clearly', async (t) => {
  requireHelper();
  const { engine } = await testEngine(t);
  await engine.invoke('addApp', { name: 'ghost', command: 'no-such-program-abc' });
  await assert.rejects(engine.invoke('startApp', { id: 'ghost' }), (e: unknown) => e instanceof CommandError && e.code === 'invalid' && /not found in PATH/.test(e.message));
  assert.equal((await appState(engine, 'ghost')).state, 'stopped');
  void zeroShares;
});

test('shutdown({leaveRunning}) with onEngineLoss "continue" leaves the app running, uncapped, never frozen', async (t) => {
  requireHelper();
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const engine = await createEngine({ configDir: dir, autostart: false });
  await engine.invoke('updateSettings', { onEngineLoss: 'continue' });
  await engine.invoke('setOwnerLimits', { limits: { cpu: 0.1 } });
  await engine.invoke('addApp', { name: 'stay', command: 'perl', args: ['-e', '1 while 1'] });
  const { pid } = await engine.invoke('startApp', { id: 'stay' });
  t.after(() => {
    try {
      process.kill(pid!, 'SIGKILL');
    } catch {
      // gone
    }
  });
  await engine.invoke('pauseApp', { id: 'stay' });
  await engine.shutdown({ leaveRunning: true });
  await sleep(500);
  assert.ok(alive(pid!), 'still running after the engine shut down');
  const ticks = () => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const v = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return Number(v[11]) + Number(v[12]);
  };
  const c0 = ticks();
  await sleep(1000);
  assert.ok(ticks() - c0 > 10, 'released: not frozen');
});

/** State letter and parent pid of a process from /proc (null if it is gone). */
function procStat(pid: number): { state: string; ppid: number } | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const v = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return { state: v[0]!, ppid: Number(v[1]) };
  } catch {
    return null;
  }
}

test('onQuit leaveRunning survives the engine PROCESS exiting (control socket EOF, pty hangup): the app runs on, not stopped', async (t) => {
  requireHelper();
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const engineUrl = pathToFileURL(path.join(repo, 'electron/engine/index.ts')).href;
  const script = path.join(dir, 'engine-child.mts');
  // Default settings (onEngineLoss "terminate"), default terminal (pty): the app is paused
  // (frozen) when the owner quits with onQuit "leaveRunning"; then this process really exits.
  writeFileSync(
    script,
    `import { createEngine } from ${JSON.stringify(engineUrl)};
const engine = await createEngine({ configDir: ${JSON.stringify(path.join(dir, 'config'))}, autostart: false });
await engine.invoke('updateSettings', { onQuit: 'leaveRunning' });
await engine.invoke('setOwnerLimits', { limits: { cpu: 0.1 } });
await engine.invoke('addApp', { name: 'stay', command: 'sleep', args: ['60'] });
const { pid } = await engine.invoke('startApp', { id: 'stay' });
process.stdout.write(JSON.stringify({ pid }) + '\\n');
await engine.invoke('pauseApp', { id: 'stay' });
await engine.shutdown();
process.exit(0);
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let appPid = 0;
  let helperPid = 0;
  t.after(() => {
    for (const pid of [appPid, helperPid]) {
      try {
        if (pid > 1) process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await until(() => /"pid":\d+/.test(out) || child.exitCode !== null, 20_000, 'the engine child started the app');
  appPid = Number(/"pid":(\d+)/.exec(out)?.[1] ?? 0);
  assert.ok(appPid > 1, `no app pid from the engine child: ${out} ${err}`);
  helperPid = procStat(appPid)?.ppid ?? 0;
  assert.equal(await exited, 0, `engine child failed: ${err}`);
  await sleep(1000);
  const st = procStat(appPid);
  assert.ok(st, 'the app was killed when the engine process exited');
  assert.ok(!['T', 't', 'Z', 'X'].includes(st.state), `the app is left in state ${st.state}`);
  assert.equal(st.ppid, helperPid, 'still under its helper');
  assert.ok(alive(helperPid), 'the helper stays the tracer');
});

test('shutdown() stops every app, including a paused one', async (t) => {
  requireHelper();
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const engine = await createEngine({ configDir: dir, autostart: false });
  await engine.invoke('addApp', { name: 'p', command: 'sleep', args: ['60'] });
  await engine.invoke('addApp', { name: 'q', command: 'sleep', args: ['60'] });
  const p = await engine.invoke('startApp', { id: 'p' });
  const q = await engine.invoke('startApp', { id: 'q' });
  await engine.invoke('pauseApp', { id: 'p' });
  await engine.shutdown();
  await until(() => !alive(p.pid!) && !alive(q.pid!), 5000, 'both apps gone');
});
