// Real BitTorrent clients under CPU caps (issue: aria2c moved 0 bytes for minutes under
// `interceptor run --cpu 50%`, even 100 %: every CPU stop interrupted its epoll_wait, which it
// retried with the same timeout, so its tracker announce never came). A real swarm on loopback
// (opentracker, an aria2c seeder) and one leecher of each of aria2c, Transmission and
// qBittorrent, each under `interceptor run --cpu C%` with C = 10, 50, 100, on both CPU
// mechanisms: every leecher completes with the payload's hash.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { Swarm, interceptorRun } from '../../../bench/lib/swarm.js';
import { ensureBuilt } from '../helpers.js';

const MB = 1e6;
const CLIENTS = ['aria2c', 'transmission', 'qbittorrent'] as const;

before(ensureBuilt);

for (const mechanism of ['ptrace', 'cgroup'] as const) {
  for (const cpu of ['10%', '50%', '100%']) {
    test(`aria2c, Transmission and qBittorrent complete a download under --cpu ${cpu} (${mechanism})`, { timeout: 150_000 }, async (t) => {
      const swarm = await Swarm.create({ payloadBytes: 8 * MB });
      try {
        const leechers = [];
        for (const client of CLIENTS) {
          leechers.push(await swarm.addPeer({ client, role: 'leecher', wrap: interceptorRun({ cpu, 'cpu-mechanism': mechanism }) }));
        }
        // The seeder comes once every leecher is up: a client starting at 10 % of a core can
        // take seconds to answer a handshake, and a seeder that gave up on it (aria2c keeps
        // such a peer out for minutes) would leave it without a source, natively as well.
        await swarm.leechersAnnounced(CLIENTS.length);
        await swarm.addPeer({ client: 'aria2c', role: 'seeder' });
        for (const peer of leechers) {
          const at = await peer.completed(120_000);
          assert.ok(await peer.verify(), `${peer.name}: the payload's hash`);
          t.diagnostic(`${peer.name}: complete in ${((at - peer.startedAt) / 1000).toFixed(1)} s`);
        }
      } finally {
        await swarm.close();
      }
    });
  }
}
