// The swarm test bed (bench/lib/swarm.ts) with the real clients from Debian:
// each BitTorrent client downloads from an aria2c seeder on loopback, a Syncthing
// pair syncs a folder, a leecher behind a tbf link in its own namespace gets the
// link's rate, nothing is left after close(), an interrupt or a kill; and each
// client runs under `interceptor run --down`, `--up` and `--disk 2MB/s` with its steady rate measured
// from the kernel's TCP counters, and downloads under `--cpu 1%` (ptrace stops) within that CPU
// (Transmission: in the benchmark only); qBittorrent over uTP only (UDP) holds --down and --up
// caps (measured by its namespace's link counters) and, uncapped, its UDP is counted.
// Missing programs FAIL with a clear message.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, test, type TestContext } from 'node:test';
import { DSL, Swarm, clientCpuSeconds, downloadSeeder, TORRENT_CLIENTS, UPLOAD_LEECHER, interceptorRun, markedPids, namespacesNamed, type Peer, type TorrentClient } from '../../../bench/lib/swarm.js';
import { NO_NETEM } from '../../../bench/lib/swarm/network.js';
import { CatcherServer, helperArgs, helperBinaryPath } from '../../../electron/engine/catcher/helper-session.js';
import { ROOT, ensureBuilt, requireHelper, sleep, until } from '../../engine/helpers.js';

const PACKAGES: Record<string, string> = {
  aria2c: 'aria2',
  'qbittorrent-nox': 'qbittorrent-nox',
  'transmission-daemon': 'transmission-daemon',
  rtorrent: 'rtorrent',
  syncthing: 'syncthing',
  opentracker: 'opentracker',
  mktorrent: 'mktorrent',
  ss: 'iproute2',
  tc: 'iproute2',
  ip: 'iproute2',
  curl: 'curl',
  setsid: 'util-linux',
};
const EXECUTABLE: Record<TorrentClient, string> = { aria2c: 'aria2c', qbittorrent: 'qbittorrent-nox', transmission: 'transmission-daemon', rtorrent: 'rtorrent' };

function requirePrograms(...names: string[]): void {
  for (const n of ['opentracker', 'mktorrent', 'ss', ...names]) {
    if (spawnSync('sh', ['-c', `command -v ${n}`]).status !== 0) throw new Error(`prerequisite missing: ${n} (install the Debian package ${PACKAGES[n] ?? n}: bash scripts/setup.sh)`);
  }
}

const MB = 1e6;
const CAP = 2 * MB;
/** The product's target for a rate cap. */
const CAP_TOLERANCE = 0.02;
/**
 * A seeder sends only what its leecher asked for, and how much a leecher keeps asked depends on
 * the rate it saw: over a 3-s window a capped seeder can fall a little short of the cap through
 * the leecher's pacing, not ours (qBittorrent seeding to aria2c: +1.05, +0.10, −2.17 % in three
 * quiet runs). The cap itself (the upper bound) is checked at ±2 % in every direction.
 */
const UP_LOWER_TOLERANCE = 0.05;
/**
 * A client writes what it has downloaded: a pause of its own download inside the window (3 s
 * at the cap) shows as a shortfall of its disk traffic that is not the cap's. Transmission
 * held the cap within ±0.3 % in six quiet runs here, then fell 14 % short once in a fresh-clone
 * CI run (others 0.04 cores); the benchmark reports the figures, the upper bound stays +2 %.
 */
const DISK_LOWER_TOLERANCE = 0.2;
/** Other processes' load (cores) above which the machine is too busy to expect the cap's lower bound. */
const QUIET_OTHERS_CORES = 0.5;

before(ensureBuilt);

async function withSwarm<T>(opts: Parameters<typeof Swarm.create>[0], body: (s: Swarm) => Promise<T>): Promise<T> {
  const swarm = await Swarm.create(opts);
  try {
    return await body(swarm);
  } finally {
    await swarm.close();
  }
}

async function assertComplete(peer: Peer, timeoutMs = 45_000): Promise<number> {
  const at = await peer.completed(timeoutMs);
  assert.ok(await peer.verify(), `${peer.name}: its copy of the payload has the payload's SHA-256`);
  return at - peer.startedAt;
}

for (const client of TORRENT_CLIENTS) {
  test(`${client} downloads from an aria2c seeder on loopback; the copy's hash matches`, { timeout: 60_000 }, async (t) => {
    requirePrograms('aria2c', EXECUTABLE[client]);
    await withSwarm({ payloadBytes: 8 * MB }, async (swarm) => {
      await swarm.addPeer({ client: 'aria2c', role: 'seeder' });
      const leecher = await swarm.addPeer({ client, role: 'leecher' });
      t.diagnostic(`${client}: complete in ${(await assertComplete(leecher)).toFixed(0)} ms`);
    });
  });
}

test('one seeder, a leecher of every client: all complete, each with the payload', { timeout: 60_000 }, async (t) => {
  requirePrograms(...Object.values(EXECUTABLE));
  await withSwarm({ payloadBytes: 8 * MB }, async (swarm) => {
    await swarm.addPeer({ client: 'aria2c', role: 'seeder' });
    const leechers = [];
    for (const client of TORRENT_CLIENTS) leechers.push(await swarm.addPeer({ client, role: 'leecher' }));
    const times = await Promise.all(leechers.map(async (l) => `${l.client} ${(await assertComplete(l)).toFixed(0)} ms`));
    t.diagnostic(times.join(', '));
  });
});

test("the meter is the same from both ends: a capped seeder's upload is its leecher's download", { timeout: 60_000 }, async (t) => {
  requireHelper();
  requirePrograms('aria2c');
  await withSwarm({ payloadBytes: 8 * MB }, async (swarm) => {
    const seeder = await swarm.addPeer({ client: 'aria2c', role: 'seeder', wrap: interceptorRun({ up: '2MB/s' }) });
    const leecher = await swarm.addPeer({ client: 'aria2c', role: 'leecher' });
    const [up, down] = [swarm.meter(seeder, 'up'), swarm.meter(leecher, 'down')];
    await assertComplete(leecher);
    const [u, d] = [up.steadyRate(swarm.payload.bytes), down.steadyRate(swarm.payload.bytes)];
    assert.ok(u && d, 'both ends measured a steady rate');
    t.diagnostic(`seeder up ${(u.bytesPerSecond / MB).toFixed(4)} MB/s, leecher down ${(d.bytesPerSecond / MB).toFixed(4)} MB/s`);
    assert.ok(Math.abs(u.bytesPerSecond / d.bytesPerSecond - 1) < 0.01, 'the two ends agree within 1 %');
    assert.ok(Math.abs(u.fromMs - d.fromMs) < 250 && Math.abs(u.toMs - d.toMs) < 250, 'at the same moments');
  });
});

test('a Syncthing pair syncs a folder on loopback', { timeout: 60_000 }, async (t) => {
  requirePrograms('syncthing');
  await withSwarm({ payloadBytes: 8 * MB }, async (swarm) => {
    const { receiver } = await swarm.addSyncthingPair();
    t.diagnostic(`in sync in ${(await assertComplete(receiver)).toFixed(0)} ms`);
  });
});

test('netns: a leecher behind a 16 Mbit/s tbf link gets the link rate, not more; no namespace is left', { timeout: 60_000 }, async (t) => {
  requirePrograms('aria2c', 'ip', 'tc', 'curl');
  const linkBytesPerSecond = 2 * MB;
  let id = '';
  await withSwarm({ payloadBytes: 8 * MB, netns: true }, async (swarm) => {
    id = swarm.id;
    await swarm.addPeer({ client: 'aria2c', role: 'seeder' });
    const leecher = await swarm.addPeer({ client: 'aria2c', role: 'leecher', link: { downBitsPerSecond: linkBytesPerSecond * 8, upBitsPerSecond: 4_000_000 } });
    assert.equal(leecher.host.address.startsWith('198.18.0.'), true, leecher.host.address);
    const meter = swarm.meter(leecher, 'down', 'wire'); // what crossed the link, not what aria2c has read yet
    await assertComplete(leecher);
    const rate = meter.steadyRate(swarm.payload.bytes);
    assert.ok(rate, 'a steady rate was measured');
    t.diagnostic(`steady rate on the wire ${(rate.bytesPerSecond / MB).toFixed(3)} MB/s behind a ${linkBytesPerSecond / MB} MB/s link`);
    // the link counts frames (TCP/IP/Ethernet headers, 4.4 % at a 1500 MTU), the meter only TCP payload:
    // 1.91 MB/s in 20 runs here; once 1.16 (a stall of aria2c's), so the lower bound only says the link carries
    assert.ok(rate.bytesPerSecond <= linkBytesPerSecond * 1.005, `above the link: ${rate.bytesPerSecond}`);
    assert.ok(rate.bytesPerSecond >= linkBytesPerSecond * 0.5, `far below the link: ${rate.bytesPerSecond}`);
    assert.equal(namespacesNamed(`isw-${id}-`).length, 4, 'switch, tracker, seeder and leecher namespaces');
  });
  assert.deepEqual(namespacesNamed(`isw-${id}-`), []);
});

test("netns: a link's delay is netem's, or refused clearly on a kernel without netem", { timeout: 30_000 }, async (t) => {
  requirePrograms('ip', 'tc');
  await withSwarm({ payloadBytes: 1000, netns: true }, async (swarm) => {
    try {
      const host = await swarm.network.addHost('dsl', DSL);
      const qdiscs = spawnSync('tc', ['-n', host.netns!, 'qdisc', 'show', 'dev', 'eth0'], { encoding: 'utf8' }).stdout;
      assert.match(qdiscs, /tbf .*rate 128Kbit/);
      assert.match(qdiscs, /netem .*delay 30ms/);
    } catch (e) {
      assert.equal((e as Error).message, NO_NETEM);
      t.diagnostic(NO_NETEM);
    }
  });
});

/** Nothing of the swarm is left: no marked process, namespace, directory or listener on its ports. */
function assertGone(id: string, root: string, ports: readonly number[]): void {
  assert.deepEqual(markedPids(id), [], 'no process of the swarm is left');
  assert.deepEqual(namespacesNamed(`isw-${id}-`), [], 'no namespace of the swarm is left');
  assert.equal(existsSync(root), false, `${root} is removed`);
  const listening = spawnSync('ss', ['-tlnH'], { encoding: 'utf8' }).stdout;
  for (const p of ports) assert.doesNotMatch(listening, new RegExp(`:${p}\\s`), `something still listens on port ${p}`);
}

test('close() ends every process, even one that ignores SIGTERM or left its process group', { timeout: 60_000 }, async () => {
  requirePrograms('aria2c', 'setsid');
  const swarm = await Swarm.create({ payloadBytes: 2 * MB });
  try {
    await swarm.addPeer({ client: 'aria2c', role: 'seeder', wrap: ['sh', '-c', 'trap "" TERM; "$@"; exec sleep 600', 'ignores-term'] }); // sleep inherits the ignored TERM
    await swarm.addPeer({ client: 'aria2c', role: 'leecher', wrap: ['setsid', '-f'] }); // a new session: out of reach of the group signal
    await until(() => markedPids(swarm.id).length >= 4, 10_000, 'tracker, wrapper shell, seeder and leecher running');
  } finally {
    await swarm.close();
  }
  assertGone(swarm.id, swarm.root, [...swarm.peerPorts]);
});

for (const [how, signal] of [
  ['interrupted (SIGINT)', 'SIGINT'],
  ['killed outright (SIGKILL): the reaper', 'SIGKILL'],
] as const) {
  test(`an owner ${how} leaves nothing behind (netns mode)`, { timeout: 60_000 }, async () => {
    requirePrograms('aria2c', 'ip');
    const owner = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/bench/lib/fixtures/swarm-owner.ts'), '--netns'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    owner.stdout.on('data', (d: Buffer) => (out += d));
    owner.stderr.on('data', (d: Buffer) => (err += d));
    const exited = new Promise((r) => owner.once('exit', r));
    try {
      await until(() => out.includes('\n') || owner.exitCode !== null, 40_000, 'the owner to start its swarm');
      const { id, root, ports } = JSON.parse(out) as { id: string; root: string; ports: number[] };
      // (waited for, not read once: a CI once saw too few right after the owner's line, and
      // an instant read of /proc/<pid>/environ can miss a process in the middle of an exec)
      const present = () => `${markedPids(id).length} marked processes, ${namespacesNamed(`isw-${id}-`).length} namespaces`;
      await until(() => markedPids(id).length >= 3 && namespacesNamed(`isw-${id}-`).length === 4, 5_000).catch(() => assert.fail(`want ≥ 3 marked processes and 4 namespaces, found ${present()}; ${err}`));
      owner.kill(signal);
      await exited;
      await until(() => markedPids(id).length === 0 && !existsSync(root), 10_000, 'the swarm to be cleaned up');
      await sleep(200); // the reaper deletes the namespaces before the directory; let `ip` return
      assertGone(id, root, ports);
    } finally {
      if (owner.exitCode === null) owner.kill('SIGKILL');
    }
  });
}

// ——— under `interceptor run --down / --up / --disk 2MB/s` ———

type Capped = 'down' | 'up' | 'disk';

/**
 * The client under test downloads (down, disk) from or seeds (up) to a native peer, capped at 2 MB/s.
 * The steady rate: of its TCP traffic in the capped direction (down, up), or of its disk traffic
 * (disk: what the kernel counts to its processes as read from storage and dirtied; its download
 * runs ahead by what it caches before it writes, Transmission 4 MB), while 25–75 % of the payload
 * was moved (down, up) or written (disk: not over its start, which may read tens of MB of its
 * program from a cold cache, waited out at the cap before it downloads).
 */
async function cappedTransfer(
  t: TestContext,
  name: string,
  capped: Capped,
  start: (swarm: Swarm) => Promise<{ measured: Peer; finisher: Peer }>,
  opts: { utp?: boolean } = {},
): Promise<void> {
  // (uTP: each peer in its own namespace, measured by its link's frame counters: the TCP meter cannot see UDP)
  await withSwarm({ payloadBytes: 12 * MB, netns: opts.utp }, async (swarm) => {
    const { measured, finisher } = await start(swarm);
    const meter = capped === 'disk' ? swarm.diskMeter(measured) : opts.utp ? swarm.linkMeter(measured, capped) : swarm.meter(measured, capped);
    await assertComplete(finisher, 60_000);
    await sleep(300); // (the meter's last samples)
    // every payload byte is written once at least
    if (capped === 'disk') assert.ok(meter.bytes >= swarm.payload.bytes, `${name}: ${meter.bytes} B of disk traffic for a ${swarm.payload.bytes}-B payload`);
    const rate = meter.steadyRate(swarm.payload.bytes);
    assert.ok(rate, `${name}: a steady rate over 25–75 % of the payload ${capped === 'disk' ? 'written' : 'moved'} was measured (${meter.samples.length} samples)`);
    const othersCores = rate.othersCores;
    const error = rate.bytesPerSecond / CAP - 1;
    const figures = `${(rate.bytesPerSecond / MB).toFixed(4)} MB/s under a 2 MB/s ${capped} cap (${(error * 100).toFixed(2)} %)`;
    t.diagnostic(`${name}: steady ${figures}; helper+engine ${rate.overheadCpuSecondsPerMB.toFixed(4)} CPU s/MB; other processes ${othersCores.toFixed(2)} cores`);
    const below = capped === 'up' ? UP_LOWER_TOLERANCE : capped === 'disk' ? DISK_LOWER_TOLERANCE : CAP_TOLERANCE;
    await t.test(`steady rate within +${CAP_TOLERANCE * 100} % / −${below * 100} % of the cap`, (st) => {
      assert.ok(error <= CAP_TOLERANCE, `${name}: ${figures}`);
      // a machine busy with other people's work starves the engine, never speeds it up:
      // the lower bound holds only when the cores were there for it (as in the CLI's --cpu test)
      if (othersCores <= QUIET_OTHERS_CORES) assert.ok(error >= -below, `${name}: ${figures}`);
      else st.diagnostic(`lower bound not checked: other processes used ${othersCores.toFixed(2)} of ${os.availableParallelism()} cores`);
    });
  });
}

for (const capped of ['down', 'up', 'disk'] as const) {
  const wrap = interceptorRun({ [capped]: '2MB/s' });
  for (const client of TORRENT_CLIENTS) {
    test(`${client} under interceptor run --${capped} 2MB/s completes at the cap`, { timeout: 90_000 }, async (t) => {
      requireHelper();
      requirePrograms(EXECUTABLE[client], EXECUTABLE[downloadSeeder(client, false)], EXECUTABLE[UPLOAD_LEECHER[client]]);
      await cappedTransfer(t, client, capped, async (swarm) => {
        if (capped === 'up') {
          const measured = await swarm.addPeer({ client, role: 'seeder', wrap });
          return { measured, finisher: await swarm.addPeer({ client: UPLOAD_LEECHER[client], role: 'leecher' }) };
        }
        await swarm.addPeer({ client: downloadSeeder(client, swarm.netns), role: 'seeder' });
        const leecher = await swarm.addPeer({ client, role: 'leecher', wrap });
        return { measured: leecher, finisher: leecher };
      });
    });
  }
  test(`syncthing under interceptor run --${capped} 2MB/s syncs at the cap`, { timeout: 90_000 }, async (t) => {
    requireHelper();
    requirePrograms('syncthing');
    await cappedTransfer(t, 'syncthing', capped, async (swarm) => {
      const pair = await swarm.addSyncthingPair(capped === 'up' ? { sender: { wrap } } : { receiver: { wrap } });
      return { measured: capped === 'up' ? pair.sender : pair.receiver, finisher: pair.receiver };
    });
  });
}

// uTP over UDP only (qBittorrent, libtorrent's LEDBAT): the datagrams that arrive while the app waits
// for credit queue in its socket's buffer, where a full buffer drops them and uTP halves its rate
// (native/src/sockets.c sizes the buffer under a download cap).
for (const capped of ['down', 'up'] as const) {
  test(`qbittorrent over uTP only (its own namespace) under interceptor run --${capped} 2MB/s completes at the cap`, { timeout: 90_000 }, async (t) => {
    requireHelper();
    requirePrograms('qbittorrent-nox', 'ip');
    const wrap = interceptorRun({ [capped]: '2MB/s' });
    await cappedTransfer(
      t,
      'qbittorrent over uTP',
      capped,
      async (swarm) => {
        const seeder = await swarm.addPeer({ client: 'qbittorrent', role: 'seeder', transport: 'utp', wrap: capped === 'up' ? wrap : [] });
        const leecher = await swarm.addPeer({ client: 'qbittorrent', role: 'leecher', transport: 'utp', wrap: capped === 'down' ? wrap : [] });
        return { measured: capped === 'up' ? seeder : leecher, finisher: leecher };
      },
      { utp: true },
    );
  });
}

// Uncapped, the helper traps no byte call (untrapped until capped): its UDP is counted by the app's
// cgroup (native/src/udpcount.c). The leecher runs under the bare helper, whose session the test
// holds, so that the bytes counted can be read at the end.
test("qbittorrent over uTP only, uncapped and untrapped: its UDP is counted, the payload's bytes and the protocol's few more", { timeout: 90_000 }, async (t) => {
  requireHelper();
  requirePrograms('qbittorrent-nox');
  const server = await CatcherServer.listen();
  const { token, session } = server.expect({ timeoutMs: 30_000 });
  const argv = helperArgs({ controlPath: server.path, usagePeriodMs: 100, untrappedUntilCapped: true }, 'qbittorrent-nox', []).slice(0, -1);
  try {
    await withSwarm({ payloadBytes: 8 * MB }, async (swarm) => {
      await swarm.addPeer({ client: 'qbittorrent', role: 'seeder', transport: 'utp' });
      const started = swarm.addPeer({ client: 'qbittorrent', role: 'leecher', transport: 'utp', wrap: ['env', `INTERCEPTOR_HELPER_TOKEN=${token}`, helperBinaryPath(), ...argv] });
      const s = await session;
      await s.free();
      await assertComplete(await started);
      await s.requestUsage();
      const u = s.lastUsage!;
      const payload = swarm.payload.bytes;
      t.diagnostic(`down ${u.netDown} B, up ${u.netUp} B for a ${payload}-B payload`);
      // every payload byte came over UDP; uTP's and BitTorrent's headers add ~2 %, and on a loaded
      // machine the resends of datagrams a full socket buffer dropped count too (they arrived):
      // 1.02–1.04× in CI runs, 1.058× once; counting anything twice would pass 2×
      assert.ok(u.netDown >= payload && u.netDown <= payload * 1.1, `netDown ${u.netDown} for a ${payload}-B payload`);
      // (its requests and uTP's acknowledgements)
      assert.ok(u.netUp > 0 && u.netUp < payload * 0.05, `netUp ${u.netUp}`);
    });
  } finally {
    await server.close();
  }
});

// rtorrent checks the pieces of what it seeds before it announces, reading them through shared
// mappings of its files: no read call, only page faults (native/src/mapped.c counts what they read).
test('rtorrent seeding a payload that is not in the page cache, under interceptor run --disk 2MB/s, reads it at the cap', { timeout: 90_000 }, async (t) => {
  requireHelper();
  requirePrograms('rtorrent');
  await withSwarm({ payloadBytes: 12 * MB }, async (swarm) => {
    const start = performance.now();
    await swarm.addPeer({ client: 'rtorrent', role: 'seeder', wrap: interceptorRun({ disk: '2MB/s' }), cold: true }); // resolves at its announce
    const bytesPerSecond = swarm.payload.bytes / ((performance.now() - start) / 1000);
    const figures = `${(bytesPerSecond / MB).toFixed(4)} MB/s from its start to its announce, under a 2 MB/s disk cap (${((bytesPerSecond / CAP - 1) * 100).toFixed(2)} %)`;
    t.diagnostic(`rtorrent: ${figures}`);
    // (its start and announce are in the time too: only the upper bound is checked, as for --disk above)
    assert.ok(bytesPerSecond / CAP - 1 <= CAP_TOLERANCE, `rtorrent: ${figures}`);
  });
});

// ——— under `interceptor run --cpu 1%`, by ptrace stops (the mechanism where no cgroup can be had) ———

const CPU_CAP = 0.01;

// (Transmission paces itself to ~0.6 % natively and takes 25–35 s here: left to bench/swarm.ts --cpu-caps)
for (const client of TORRENT_CLIENTS.filter((c) => c !== 'transmission')) {
  test(`${client} under interceptor run --cpu 1% (ptrace) downloads within its CPU`, { timeout: 120_000 }, async (t) => {
    requireHelper();
    requirePrograms(EXECUTABLE[client], EXECUTABLE[downloadSeeder(client, false)]);
    await withSwarm({ payloadBytes: 12 * MB }, async (swarm) => {
      await swarm.addPeer({ client: downloadSeeder(client, swarm.netns), role: 'seeder' });
      const leecher = await swarm.addPeer({ client, role: 'leecher', wrap: interceptorRun({ cpu: '1%', 'cpu-mechanism': 'ptrace' }) });
      const meter = swarm.meter(leecher, 'down');
      // (sampled while it runs: a process that has exited takes its CPU with it)
      const cpu: { t: number; s: number }[] = [];
      const sample = () => cpu.push({ t: performance.now(), s: Math.max(cpu.at(-1)?.s ?? 0, clientCpuSeconds(leecher.proc.pid)) });
      const sampler = setInterval(sample, 100);
      try {
        const doneAt = leecher.startedAt + (await assertComplete(leecher, 100_000));
        sample();
        // Over the download (first byte to completion) the cap must show: natively qBittorrent and
        // rtorrent take 0.5–0.7 s at 8–14 % of the machine here and fail this bound; aria2c's
        // 0.03 CPU s stay within it natively, so for aria2c the test shows that it completes under
        // CPU stops, not that the cap holds.
        const from = meter.samples.find((x) => x.bytes > 0)?.t ?? leecher.startedAt;
        const before = cpu.filter((x) => x.t <= from).at(-1)?.s ?? 0;
        const used = cpu.at(-1)!.s - before;
        const seconds = (doneAt - from) / 1000;
        const ncpu = os.availableParallelism();
        t.diagnostic(`${client}: downloaded in ${seconds.toFixed(2)} s using ${used.toFixed(2)} CPU s = ${((used / seconds / ncpu) * 100).toFixed(2)} % of the machine under a 1 % cap`);
        // the cap, plus one 20-ms slice of every core (the bucket) and a clock tick at each end
        const allowed = CPU_CAP * seconds * ncpu * (1 + CAP_TOLERANCE) + 0.02 * ncpu + 0.02;
        assert.ok(used <= allowed, `${client} used ${used.toFixed(2)} CPU s in ${seconds.toFixed(2)} s (allowed ${allowed.toFixed(2)})`);
      } finally {
        clearInterval(sampler);
      }
    });
  });
}
