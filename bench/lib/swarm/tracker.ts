// The swarm's tracker: Debian's opentracker, which is built as a closed tracker,
// so it serves only the info hashes listed (hex, one a line) in its whitelist. It
// chroots to its directory and drops to user `nobody` before it reads the list,
// so the directory must be world-readable and the list is named by its path
// inside the chroot.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Host } from './network.js';
import type { ProcessSet, Proc } from './processes.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Tracker {
  host: Host;
  port: number;
  announceUrl: string;
  proc: Proc;
  /** Seeders (complete) and leechers (incomplete) the tracker knows for a torrent. */
  scrape(infoHash: string): Promise<{ complete: number; incomplete: number }>;
}

export async function startTracker(opts: { host: Host; dir: string; infoHashes: string[]; tcpPort: number; udpPort: number; processes: ProcessSet }): Promise<Tracker> {
  const { host, dir, tcpPort } = opts;
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  writeFileSync(path.join(dir, 'whitelist'), opts.infoHashes.map((h) => h + '\n').join(''), { mode: 0o644 });
  const argv = [...host.prefix, 'opentracker', '-i', host.address, '-p', String(tcpPort), '-P', String(opts.udpPort), '-d', dir, '-w', '/whitelist'];
  const proc = opts.processes.spawn('tracker', argv, { cwd: dir, log: path.join(dir, '..', 'tracker.log') });
  const base = `http://${host.address}:${tcpPort}`;
  const tracker: Tracker = {
    host,
    port: tcpPort,
    announceUrl: `${base}/announce`,
    proc,
    scrape: async (infoHash) => {
      const body = await httpGet(host, `${base}/scrape?info_hash=${percentBytes(infoHash)}`);
      const count = (key: string) => Number(new RegExp(`${key.length}:${key}i(\\d+)e`).exec(body)?.[1] ?? 0);
      return { complete: count('complete'), incomplete: count('incomplete') };
    },
  };
  const end = Date.now() + 10_000;
  for (;;) {
    if (!proc.running()) throw new Error(`opentracker exited: ${proc.logTail()}`);
    try {
      await tracker.scrape(opts.infoHashes[0]!);
      return tracker;
    } catch (e) {
      if (Date.now() > end) throw new Error(`opentracker did not answer on ${base}: ${(e as Error).message}`);
      await sleep(50);
    }
  }
}

/** Waits until the tracker lists at least `seeders` complete peers for the torrent. */
export function waitForSeeders(tracker: Tracker, infoHash: string, seeders: number, timeoutMs = 30_000): Promise<void> {
  return waitForPeers(tracker, infoHash, 'complete', seeders, timeoutMs);
}

/** Resolves once the tracker has seen at least `count` peers announce as seeders (complete) or leechers (incomplete). */
export async function waitForPeers(tracker: Tracker, infoHash: string, kind: 'complete' | 'incomplete', count: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while ((await tracker.scrape(infoHash))[kind] < count) {
    if (Date.now() > end) throw new Error(`the tracker saw fewer than ${count} ${kind === 'complete' ? 'seeder' : 'leecher'}(s) after ${timeoutMs} ms`);
    await sleep(100);
  }
}

const percentBytes = (hex: string) => hex.replace(/../g, (b) => `%${b}`);

/** GET from inside the host's network: directly on loopback, with curl in a namespace. */
export async function httpGet(host: Host, url: string): Promise<string> {
  if (host.netns) {
    const { stdout } = await run('ip', ['netns', 'exec', host.netns, 'curl', '-sf', '--max-time', '5', url], { encoding: 'latin1' });
    return stdout;
  }
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
  });
}
