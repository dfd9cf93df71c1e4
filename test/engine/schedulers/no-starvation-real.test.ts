// No app starves (issue: a CPU hog with a nominal share took the whole cap and every share-0
// app got 0 % CPU, shown as "Running"). Through the real engine, on both CPU mechanisms, for
// a minute: a 2-thread CPU hog with share 0.2, a curl download from a server that sends
// 2.4 MB/s, and a printer that prints the time every second (both share 0), under a 30 % cap. The download keeps its rate,
// the printer prints every second, an app added meanwhile prints its line and exits, the hog
// still gets its share and the total stays within the cap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AppState } from '../../../electron/common/model.js';
import { bin } from '../../native/harness.js';
import { procCpuNs } from '../../../bench/lib/helper-apps.js';
import { sleep, testEngine, until, zeroShares } from '../helpers.js';

const SECONDS = 60;
const RATE = 2.4e6; // bytes/s the server sends (paced every 10 ms: curl's own --limit-rate is bursty)
const CAP = 0.3;

/**
 * An endless download on loopback at RATE: paced by the clock, not by timer ticks (which come
 * late on a busy machine); while the client does not keep up, nothing more is queued, and the
 * backlog is sent when it does.
 */
async function pacedServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const start = performance.now();
    let sent = 0;
    const timer = setInterval(() => {
      const due = ((performance.now() - start) / 1000) * RATE - sent;
      if (due < 1 || res.writableLength > 1 << 20) return;
      const n = Math.floor(due);
      res.write(Buffer.alloc(n));
      sent += n;
    }, 10);
    res.on('close', () => clearInterval(timer));
    res.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

for (const mechanism of ['ptrace', 'cgroup'] as const) {
  test(`no app starves beside a CPU hog under a 30 % cap, for a minute (${mechanism})`, { timeout: (SECONDS + 60) * 1000 }, async (t) => {
    const { engine, dir } = await testEngine(t);
    await engine.invoke('updateSettings', { cpuMechanism: mechanism });
    const state = await engine.invoke('getState', {});
    assert.equal(state.platform.cpu.mechanism, mechanism, `mechanism in force: ${JSON.stringify(state.platform.cpu)}`);
    const server = await pacedServer();
    t.after(() => server.close());
    // (in memory: on disk, another test's writeback stalls curl's own writes for a second —
    // seen in CI as one slow 5-s window followed by a fast one — which is not the scheduler's doing)
    const ramDir = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/interceptor-starve-') : dir;
    t.after(() => rmSync(ramDir, { recursive: true, force: true }));
    const download = path.join(ramDir, 'download.bin');
    await engine.invoke('setOwnerLimits', { limits: { cpu: CAP } });
    await engine.invoke('addApp', { name: 'hog', command: bin('spinner'), args: ['2'], shares: { ...zeroShares, cpu: 0.2 } });
    await engine.invoke('addApp', { name: 'curl', command: 'curl', args: ['-s', '-o', download, `http://127.0.0.1:${server.port}/`] });
    await engine.invoke('addApp', { name: 'printer', command: 'sh', args: ['-c', 'while :; do date +%s.%N; sleep 1; done'] });
    await engine.invoke('addApp', { name: 'hello', command: 'sh', args: ['-c', 'echo hello from a late app'] });

    const printed: number[] = [];
    let helloOut = '';
    let line = '';
    engine.on('terminalData', (d) => {
      if (d.id === 'hello') helloOut += d.data;
      if (d.id !== 'printer') return;
      line += d.data;
      for (let nl = line.search(/\r?\n/); nl >= 0; nl = line.search(/\r?\n/)) {
        const ts = Number(line.slice(0, nl).trim());
        if (Number.isFinite(ts) && ts > 0) printed.push(ts);
        line = line.slice(nl + 1).replace(/^\n/, '');
      }
    });
    const states: Record<string, AppState[]> = { curl: [], printer: [] };
    engine.on('snapshot', (snap) => {
      for (const a of snap.apps) if (a.id in states) states[a.id]!.push(a.state);
    });
    let helloExited = 0;
    engine.on('state', (st) => {
      if (!helloExited && st.apps.some((a) => a.definition.id === 'hello' && a.state === 'exited')) helloExited = Date.now();
    });

    const hog = await engine.invoke('startApp', { id: 'hog' });
    await engine.invoke('startApp', { id: 'curl' });
    await engine.invoke('startApp', { id: 'printer' });
    await sleep(3000); // everyone running, TCP buffers full
    const size = () => (existsSync(download) ? statSync(download).size : 0);
    const sizes: number[] = [size()];
    const hogCpu0 = (await procCpuNs(hog.pid!))!;
    const t0 = Date.now();
    printed.length = 0;
    let helloStarted = 0;
    for (let s = 1; s <= SECONDS; s++) {
      await sleep(t0 + s * 1000 - Date.now());
      sizes.push(size());
      if (s === SECONDS / 2) {
        helloStarted = Date.now();
        await engine.invoke('startApp', { id: 'hello' });
      }
    }
    const wall = (Date.now() - t0) / 1000;
    const hogShare = ((await procCpuNs(hog.pid!))! - hogCpu0) / 1e9 / wall / 2;
    await until(() => helloExited > 0, 5000, 'the late app to exit');
    const helloTook = helloExited - helloStarted;

    const windows: number[] = [];
    for (let i = 5; i < sizes.length; i += 5) windows.push((sizes[i]! - sizes[i - 5]!) / 5);
    const gaps = printed.slice(1).map((ts, i) => ts - printed[i]!);
    const report = [
      `download per 5 s (MB/s): ${windows.map((w) => (w / 1e6).toFixed(2)).join(' ')} (sent at ${(RATE / 1e6).toFixed(2)})`,
      `printer: ${printed.length} lines in ${wall.toFixed(1)} s, longest gap ${Math.max(...gaps).toFixed(2)} s`,
      `hog: ${hogShare.toFixed(3)} of the machine (share 0.2, cap ${CAP})`,
      `late app printed and exited within ${helloTook} ms`,
      `states seen: curl ${[...new Set(states.curl)].join('/')} printer ${[...new Set(states.printer)].join('/')}`,
    ].join('\n');
    console.log(`${mechanism}:\n${report}`);
    // Starving is falling behind and staying behind: a 5-s window may dip (a busy CI machine once
    // gave 2.13 then 2.67 MB/s) if the next one catches up.
    for (const w of windows) assert.ok(w >= 0.8 * RATE, `the download slowed down:\n${report}`);
    for (let i = 1; i < windows.length; i++) assert.ok((windows[i - 1]! + windows[i]!) / 2 >= 0.9 * RATE, `the download fell behind:\n${report}`);
    // (each round is a second of sleep plus a date and a sleep started under the tracer)
    assert.ok(printed.length >= 0.9 * SECONDS, `the printer missed seconds:\n${report}`);
    assert.ok(Math.max(...gaps) < 1.5, `the printer stalled:\n${report}`);
    assert.ok(helloTook < 3000, `the late app took ${helloTook} ms:\n${report}`);
    assert.match(helloOut, /hello from a late app/);
    assert.ok(hogShare >= 0.2 - 0.01 && hogShare <= CAP + 0.01, `the hog:\n${report}`);
    assert.ok(!states.curl!.includes('waiting') && !states.printer!.includes('waiting'), `an I/O-bound app was left waiting for CPU:\n${report}`);
  });
}
