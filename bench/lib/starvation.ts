// The no-starvation scenario (issue: a CPU hog with a nominal share took the whole cap and every
// share-0 app got 0 % CPU, shown as "Running"), through the real engine: a 2-thread CPU hog with
// share 0.2, a curl download from a server that sends 2.4 MB/s, and a printer that prints the
// time every second (both share 0), under a 30 % cap; halfway, an app that prints a line and
// exits is started. Shared by the test (which asks that nobody starves: gross bounds that hold
// on a busy CI machine) and bench/no-starvation.ts (which prints the figures against the strict
// targets, to be run on a quiet machine).
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ZERO_SHARES, type AppState } from '../../electron/common/model.js';
import type { Engine } from '../../electron/engine/api.js';
import { nativeBin, procCpuNs } from './helper-apps.js';

export const RATE = 2.4e6; // bytes/s the server sends (paced every 10 ms: curl's own --limit-rate is bursty)
export const CAP = 0.3;
export const HOG_SHARE = 0.2;

export interface StarvationFigures {
  seconds: number;
  /** Download rate in each 5-s window (bytes/s). */
  windows: number[];
  /** Lines the printer printed during the run, and the gaps between them (s). */
  lines: number;
  gaps: number[];
  /** The hog's CPU as a fraction of the machine. */
  hogShare: number;
  /** From starting the late app to its exit (ms), and what it printed. */
  lateAppMs: number;
  lateAppOutput: string;
  /** Every state the download and the printer were shown in. */
  states: { curl: AppState[]; printer: AppState[] };
  report: string;
}

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

/** Runs the scenario for `seconds` on an engine already set to its CPU mechanism. */
export async function runStarvationScenario(engine: Engine, seconds: number): Promise<StarvationFigures> {
  const server = await pacedServer();
  // (in memory: on disk, another program's writeback stalls curl's own writes for a second —
  // seen in CI as one slow 5-s window followed by a fast one — which is not the scheduler's doing)
  const ramDir = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'interceptor-starve-'));
  try {
    const download = path.join(ramDir, 'download.bin');
    await engine.invoke('setOwnerLimits', { limits: { cpu: CAP } });
    await engine.invoke('addApp', { name: 'hog', command: nativeBin('spinner'), args: ['2'], shares: { ...ZERO_SHARES, cpu: HOG_SHARE } });
    await engine.invoke('addApp', { name: 'curl', command: 'curl', args: ['-s', '-o', download, `http://127.0.0.1:${server.port}/`] });
    await engine.invoke('addApp', { name: 'printer', command: 'sh', args: ['-c', 'while :; do date +%s.%N; sleep 1; done'] });
    await engine.invoke('addApp', { name: 'hello', command: 'sh', args: ['-c', 'echo hello from a late app'] });

    const printed: number[] = [];
    let lateAppOutput = '';
    let line = '';
    engine.on('terminalData', (d) => {
      if (d.id === 'hello') lateAppOutput += d.data;
      if (d.id !== 'printer') return;
      line += d.data;
      for (let nl = line.search(/\r?\n/); nl >= 0; nl = line.search(/\r?\n/)) {
        const ts = Number(line.slice(0, nl).trim());
        if (Number.isFinite(ts) && ts > 0) printed.push(ts);
        line = line.slice(nl + 1).replace(/^\n/, '');
      }
    });
    const states: StarvationFigures['states'] = { curl: [], printer: [] };
    engine.on('snapshot', (snap) => {
      for (const a of snap.apps) if (a.id === 'curl' || a.id === 'printer') states[a.id].push(a.state);
    });
    let lateExited = 0;
    engine.on('state', (st) => {
      if (!lateExited && st.apps.some((a) => a.definition.id === 'hello' && a.state === 'exited')) lateExited = Date.now();
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
    let lateStarted = 0;
    for (let s = 1; s <= seconds; s++) {
      await sleep(Math.max(0, t0 + s * 1000 - Date.now()));
      sizes.push(size());
      if (s === Math.floor(seconds / 2)) {
        lateStarted = Date.now();
        await engine.invoke('startApp', { id: 'hello' });
      }
    }
    const wall = (Date.now() - t0) / 1000;
    const hogShare = ((await procCpuNs(hog.pid!))! - hogCpu0) / 1e9 / wall / 2;
    for (const end = Date.now() + 5000; !lateExited && Date.now() < end; ) await sleep(50);
    const lateAppMs = lateExited ? lateExited - lateStarted : Infinity;

    const windows: number[] = [];
    for (let i = 5; i < sizes.length; i += 5) windows.push((sizes[i]! - sizes[i - 5]!) / 5);
    const gaps = printed.slice(1).map((ts, i) => ts - printed[i]!);
    const report = [
      `download per 5 s (MB/s): ${windows.map((w) => (w / 1e6).toFixed(2)).join(' ')} (sent at ${(RATE / 1e6).toFixed(2)})`,
      `printer: ${printed.length} lines in ${wall.toFixed(1)} s, longest gap ${Math.max(...gaps).toFixed(2)} s`,
      `hog: ${hogShare.toFixed(3)} of the machine (share ${HOG_SHARE}, cap ${CAP})`,
      `late app printed and exited within ${lateAppMs} ms`,
      `states seen: curl ${[...new Set(states.curl)].join('/')} printer ${[...new Set(states.printer)].join('/')}`,
    ].join('\n');
    return { seconds, windows, lines: printed.length, gaps, hogShare, lateAppMs, lateAppOutput, states, report };
  } finally {
    await server.close();
    rmSync(ramDir, { recursive: true, force: true });
  }
}

/** The strict targets, checked by the benchmark on a quiet machine: [what, met]. */
export function strictTargets(f: StarvationFigures): [string, boolean][] {
  const pairs = f.windows.slice(1).map((w, i) => (f.windows[i]! + w) / 2);
  return [
    ['every 5-s window of the download >= 0.9 of the rate', f.windows.every((w) => w >= 0.9 * RATE)],
    ['every 10 s of the download >= 0.95 of the rate', pairs.every((w) => w >= 0.95 * RATE)],
    ['the printer prints >= 0.95 of the seconds', f.lines >= 0.95 * f.seconds],
    ['no printer gap >= 1.5 s', Math.max(...f.gaps) < 1.5],
    ['the late app done within 1 s', f.lateAppMs < 1000],
    [`the hog within [${HOG_SHARE}, ${CAP}] ± 0.01`, f.hogShare >= HOG_SHARE - 0.01 && f.hogShare <= CAP + 0.01],
  ];
}
