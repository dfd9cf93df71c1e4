// Timers keep time under a CPU cap (issue: aria2's epoll_wait loop never reached its timeout
// because every CPU stop interrupted it). Through the real engine, on both CPU mechanisms,
// under a 50 % cap kept busy by a CPU hog: C wait loops that retry on EINTR with the same
// timeout, Python asyncio's sleep, and a Go program's timers (syncthing's REST long-poll,
// which answers after its timeout of 1 s) keep at least 90 % of the rate they have natively,
// measured side by side, and never see EINTR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { bin } from '../../native/harness.js';
import { sleep, testEngine, until, zeroShares } from '../helpers.js';

const MODES = ['epoll_wait', 'epoll_pwait', 'select', 'poll', 'futex', 'sigtimedwait', 'nanosleep'];
const PERIOD_MS = 100;
const SECONDS = 4;
const ASYNCIO = `
import asyncio, time
async def main():
    n = 0
    end = time.monotonic() + ${SECONDS}
    while time.monotonic() < end:
        await asyncio.sleep(${PERIOD_MS / 1000})
        n += 1
    print(f"ticks={n}", flush=True)
asyncio.run(main())
`;

const ticksOf = (out: string): number | null => {
  const m = /ticks=(\d+)/.exec(out);
  return m ? Number(m[1]) : null;
};
const eintrOf = (out: string): number => Number(/eintr=(\d+)/.exec(out)?.[1] ?? 0);

/** A program run natively, its stdout when it ends. */
function native(command: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((r) => child.on('close', () => r(out)));
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const API_KEY = 'interceptor-timer-test';

/** Syncthing's environment: its own home, the GUI on `port`, no default folder. */
function syncthingEnv(port: number): Record<string, string> {
  return { STGUIADDRESS: `127.0.0.1:${port}`, STGUIAPIKEY: API_KEY, STNODEFAULTFOLDER: '1', STNOUPGRADE: '1' };
}

async function rest(port: number, p: string): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${port}${p}`, { headers: { 'X-API-Key': API_KEY } });
  if (!res.ok) throw new Error(`${p}: ${res.status}`);
  return res.json();
}

/** How many 1-second long-polls of syncthing's event API time out in `seconds`, and how long they took
 * (a poll that returns events early is not counted, so the count of a window varies by one). Taken once
 * syncthing has started (its StartupComplete event): its start-up work, capped, would otherwise delay
 * an answer by its CPU, not by its timer. */
async function longPolls(port: number, seconds: number): Promise<{ count: number; meanS: number; maxS: number }> {
  await until(async () => rest(port, '/rest/system/ping').then(() => true, () => false), 30_000, `syncthing on ${port}`);
  let since = 0;
  let started = false;
  await until(async () => {
    const events = (await rest(port, `/rest/events?since=${since}&timeout=1`)) as { id: number; type: string }[];
    if (events.length) since = events[events.length - 1]!.id;
    started ||= events.some((e) => e.type === 'StartupComplete');
    return started;
  }, 30_000, `syncthing on ${port} to complete its start`);
  const end = Date.now() + seconds * 1000;
  const took: number[] = [];
  while (Date.now() < end) {
    const t0 = performance.now();
    const events = (await rest(port, `/rest/events?since=${since}&timeout=1`)) as { id: number }[];
    if (events.length) since = events[events.length - 1]!.id;
    else took.push((performance.now() - t0) / 1000);
  }
  return { count: took.length, meanS: took.reduce((a, b) => a + b, 0) / Math.max(1, took.length), maxS: Math.max(0, ...took) };
}

for (const mechanism of ['ptrace', 'cgroup'] as const) {
  test(`timers keep time under a busy 50 % cap: C wait loops, Python asyncio, Go (syncthing) (${mechanism})`, { timeout: 120_000 }, async (t) => {
    const { engine } = await testEngine(t);
    await engine.invoke('updateSettings', { cpuMechanism: mechanism });
    assert.equal((await engine.invoke('getState', {})).platform.cpu.mechanism, mechanism);
    await engine.invoke('setOwnerLimits', { limits: { cpu: 0.5 } });
    const homes = [mkdtempSync(path.join(os.tmpdir(), 'st-native-')), mkdtempSync(path.join(os.tmpdir(), 'st-capped-'))];
    t.after(() => homes.forEach((h) => rmSync(h, { recursive: true, force: true })));
    const [nativePort, cappedPort] = [await freePort(), await freePort()];

    await engine.invoke('addApp', { name: 'hog', command: bin('spinner'), args: ['2'], shares: { ...zeroShares, cpu: 0.3 } });
    const ids: Record<string, string> = { asyncio: 'asyncio' };
    for (const m of MODES) {
      const v = await engine.invoke('addApp', { name: `loop ${m}`, command: bin('waitloop'), args: [m, String(PERIOD_MS), String(SECONDS)] });
      ids[m] = v.definition.id;
    }
    await engine.invoke('addApp', { name: 'asyncio', command: 'python3', args: ['-c', ASYNCIO] });
    await engine.invoke('addApp', { name: 'syncthing', command: 'syncthing', args: ['serve', '--no-browser', '--no-restart', `--home=${homes[1]}`], env: syncthingEnv(cappedPort) });
    const output: Record<string, string> = {};
    engine.on('terminalData', (d) => (output[d.id] = (output[d.id] ?? '') + d.data));

    await engine.invoke('startApp', { id: 'hog' });
    await engine.invoke('startApp', { id: 'syncthing' });
    const nativeSyncthing = spawn('syncthing', ['serve', '--no-browser', '--no-restart', `--home=${homes[0]}`], {
      env: { ...process.env, ...syncthingEnv(nativePort) }, stdio: 'ignore',
    });
    t.after(() => nativeSyncthing.kill('SIGKILL'));
    await sleep(1000); // the hog has the cap busy
    const natives = Promise.all([
      ...MODES.map((m) => native(bin('waitloop'), [m, String(PERIOD_MS), String(SECONDS)])),
      native('python3', ['-c', ASYNCIO]),
    ]);
    for (const m of MODES) await engine.invoke('startApp', { id: ids[m]! });
    await engine.invoke('startApp', { id: 'asyncio' });
    const [nativeOut, nativePolls, cappedPolls] = await Promise.all([natives, longPolls(nativePort, SECONDS + 2), longPolls(cappedPort, SECONDS + 2)]);
    await until(async () => {
      const st = await engine.invoke('getState', {});
      return Object.values(ids).every((id) => st.apps.find((a) => a.definition.id === id)!.state === 'exited');
    }, 20_000, 'the loops to end');

    const rows: string[] = [];
    const check: (() => void)[] = [];
    [...MODES, 'asyncio'].forEach((m, i) => {
      const id = ids[m]!;
      const n = ticksOf(nativeOut[i]!);
      const c = ticksOf(output[id] ?? '');
      rows.push(`${m}: native ${n} ticks, capped ${c} ticks, ${eintrOf(output[id] ?? '')} EINTR`);
      check.push(() => {
        assert.ok(n !== null && c !== null, `${m}: no result (${output[id]})`);
        assert.ok(c! >= 0.9 * n!, `${m} lost ticks`);
        assert.equal(eintrOf(output[id] ?? ''), 0, `${m} saw EINTR`);
      });
    });
    const polls = (p: { count: number; meanS: number; maxS: number }): string => `${p.count} (mean ${p.meanS.toFixed(3)} s, longest ${p.maxS.toFixed(3)} s)`;
    rows.push(`syncthing 1 s long-polls: native ${polls(nativePolls)}, capped ${polls(cappedPolls)}`);
    console.log(`${mechanism}:\n${rows.join('\n')}`);
    for (const c of check) {
      try {
        c();
      } catch (error) {
        throw new Error(`${(error as Error).message}\n${rows.join('\n')}`);
      }
    }
    // Each timed-out poll must take its 1 s, not more; the counts may differ by the one poll an
    // event took out of a window (a poll answered with events is not counted).
    assert.ok(cappedPolls.count >= nativePolls.count - 1 && cappedPolls.meanS < 1.1 && cappedPolls.maxS < 1.3, `syncthing's timers:\n${rows.join('\n')}`);
  });
}
