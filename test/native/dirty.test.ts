// Writes through a shared file mapping (rtorrent's way: no write call, only page dirtying) are
// disk writes: counted, and paced by disk credit at the app's next trapped call (native/src/dirty.c).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSync, readFileSync, closeSync, writeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { bin, cleanupAll, requireBuilt, sleep, startApp, tmpDir, waitFor, type App } from './harness.js';

after(cleanupAll);

// The kernel counts a dirtied page cache folio whole, and a folio can be up to 2 MiB (x86-64):
// chunks of that size, after a control chunk, make every chunk's count exact.
const CHUNK = 2 * 1024 * 1024;
const CHUNKS = 4;
/** Each test waits for the app's exit: one that never comes fails the test, not the whole file. */
const LIMIT = { timeout: 60_000 };

/** Chunks of the mapped file the app has filled so far (the page cache shows its stores at once). */
function chunksWritten(file: string): number {
  const data = readFileSync(file);
  let n = 0;
  for (let i = 0; i < CHUNKS; i++) if (data[(i + 1) * CHUNK] === 1) n++;
  return n;
}

/** How `io mapwrite` gets its writable mapping: mmap'd so, made so by mprotect, or inherited by a child that writes. */
type How = '' | 'protect' | 'fork';

/** Starts `io mapwrite`, lets the test set up, then tells the app to write. */
async function mapWriter(file: string, setup: (app: App) => Promise<void>, how: How = ''): Promise<App> {
  const app = await startApp(bin('io'), ['mapwrite', file, String(CHUNKS), String(CHUNK), ...(how ? [how] : [])]);
  await waitFor('ready', () => app.stdout().includes('ready'));
  await setup(app);
  const fd = openSync(file, 'r+');
  writeSync(fd, 'g', 0);
  closeSync(fd);
  return app;
}

/** `io mapwrite` under disk credit 0: it stores its first chunk into debt and is held at its next call. */
async function heldMapWriter(file: string, how: How = ''): Promise<App> {
  const app = await mapWriter(file, async (a) => void (await a.session.setLimitMode('disk', 'credit')), how);
  await waitFor('a disk demand', () => app.demands.some((d) => d.resource === 'disk'));
  return app;
}

for (const [how, title] of [
  ['', 'mapped writable'],
  ['protect', 'mapped read-only, then made writable by mprotect'],
  ['fork', 'by a child that inherited the mapping'],
] as const) {
  test(`stores to a shared file mapping count as disk writes (${title})`, LIMIT, async () => {
    requireBuilt();
    const { dir, remove } = tmpDir();
    const file = path.join(dir, 'mapped');
    const app = await mapWriter(file, async () => undefined, how);
    try {
      assert.deepEqual(await app.exited, { code: 0, signal: null });
      assert.equal(chunksWritten(file), CHUNKS);
      // (fork: the child's pages once, not again when the kernel adds its count to its parent's)
      assert.equal(app.session.lastUsage!.diskWrite, CHUNKS * CHUNK, 'every dirtied page, once');
    } finally {
      await app.cleanup();
      remove();
    }
  });
}

for (const [how, who] of [
  ['', 'the app'],
  ['fork', 'a child that inherited the mapping'],
] as const) {
  test(`under disk credit, ${who} waits at its next trapped call until what it stored is paid for`, LIMIT, async () => {
    requireBuilt();
    const { dir, remove } = tmpDir();
    const file = path.join(dir, 'mapped');
    const app = await heldMapWriter(file, how);
    const s = app.session;
    try {
      await sleep(200);
      let u = await app.usage();
      assert.equal(chunksWritten(file), 1, 'one chunk stored, then held');
      assert.equal(u.diskWrite, CHUNK);
      assert.ok(u.heldDisk > 0 && u.heldCalls === 1, `held: ${JSON.stringify(u)}`);
      await s.grant('disk', CHUNK); // pays the debt: credit 0, still held
      await sleep(200);
      assert.equal(chunksWritten(file), 1, 'a paid debt is not credit');
      for (let i = 2; i <= CHUNKS; i++) {
        await s.grant('disk', 1); // the held read passes; the next chunk is stored and paid by the next grant
        // (a CI run once timed out here at chunk 4, not reproduced since: say what the helper had)
        await waitFor(`chunk ${i}`, () => chunksWritten(file) === i).catch(async (error: Error) => {
          throw new Error(`${error.message}; ${chunksWritten(file)} chunks; usage ${JSON.stringify(await app.usage())}; demands ${JSON.stringify(app.demands)}; logs ${app.logs.join(' | ')}`);
        });
        await sleep(150);
        assert.equal(chunksWritten(file), i, `chunk ${i + 1} waited`);
        await s.grant('disk', CHUNK - 1);
      }
      await s.grant('disk', 1);
      assert.deepEqual(await app.exited, { code: 0, signal: null });
      u = s.lastUsage!;
      assert.equal(u.diskWrite, CHUNKS * CHUNK);
    } finally {
      await app.cleanup();
      remove();
    }
  });
}

test('an app held at that call still ends at once on a signal (nothing frozen)', LIMIT, async () => {
  requireBuilt();
  const { dir, remove } = tmpDir();
  const file = path.join(dir, 'mapped');
  const app = await heldMapWriter(file);
  try {
    assert.equal((await app.usage()).heldCalls, 1);
    process.kill(app.appPid, 'SIGTERM');
    const ended = await Promise.race([app.exited, sleep(3000).then(() => null)]);
    assert.deepEqual(ended, { code: null, signal: 'SIGTERM' });
  } finally {
    await app.cleanup();
    remove();
  }
});

test('a recv the helper performs into a shared file mapping (under a download cap) counts as disk writes of the app', LIMIT, async () => {
  requireBuilt();
  const { dir, remove } = tmpDir();
  const file = path.join(dir, 'received');
  const total = CHUNKS * CHUNK;
  // (the sender: the payload, then the end of the connection)
  const server = net.createServer((sock) => sock.end(Buffer.alloc(total, 1)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const app = await startApp(bin('io'), ['maprecv', file, String(total), '127.0.0.1', String(port)], { free: false });
  const s = app.session;
  try {
    await s.setLimitMode('netDown', 'credit'); // capped: the helper performs each recv itself
    await s.grant('netDown', 100 * total);
    await s.free();
    assert.deepEqual(await app.exited, { code: 0, signal: null });
    assert.equal(readFileSync(file).filter((b) => b === 1).length, total);
    const u = s.lastUsage!;
    assert.equal(u.netDown, total);
    assert.equal(u.diskWrite, total, 'the pages its recvs filled, once');
  } finally {
    await app.cleanup();
    server.close();
    remove();
  }
});
