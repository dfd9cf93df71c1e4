// A read the page cache serves is no disk I/O: with the disk credit spent it goes through at
// once (native/src/pagecache.c), while a read from storage still waits for a grant.
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';

import { cleanupAll, dropCache, requireBuilt, sleep, startAfterStdin, tmpDir, waitFor } from './harness.js';

after(cleanupAll);

const CHUNK = 65536;
const SIZE = 8 * CHUNK;

for (const [label, env] of [['notifications', {}], ['ptrace fallback', { INTERCEPTOR_HELPER_NO_UNOTIF: '1' }]] as const) {
  test(`with the disk credit spent, reads the page cache serves go through at once (${label})`, async () => {
    requireBuilt();
    const { dir, remove } = tmpDir();
    const file = path.join(dir, 'cached');
    writeFileSync(file, Buffer.alloc(SIZE, 7));
    readFileSync(file); // (every page in the cache)
    // `io fcopy` reads the file in 64-KiB read calls, then once more at its end (0 bytes)
    const { app, go } = await startAfterStdin(['fcopy', file, '/dev/null', String(CHUNK)], { env });
    try {
      await app.session.setLimitMode('disk', 'credit'); // (no grant: the credit is 0)
      go();
      // (a read held for credit would wait forever: no grant comes)
      const exit = await Promise.race([app.exited, sleep(10_000).then(() => 'still running')]);
      assert.deepEqual(app.demands, [], 'no read waited for disk credit');
      assert.deepEqual(exit, { code: 0, signal: null });
    } finally {
      await app.cleanup();
      remove();
    }
  });

  test(`with the disk credit spent, a read from storage still waits for a grant (${label})`, async () => {
    requireBuilt();
    const { dir, remove } = tmpDir();
    const file = path.join(dir, 'cold');
    writeFileSync(file, Buffer.alloc(SIZE, 7));
    execSync(dropCache(file));
    const { app, go } = await startAfterStdin(['fcopy', file, '/dev/null', String(CHUNK)], { env });
    let exited = false;
    void app.exited.then(() => (exited = true));
    try {
      await app.session.setLimitMode('disk', 'credit');
      go();
      await waitFor('the first read held', () => app.demands.length > 0);
      assert.deepEqual(app.demands[0], { resource: 'disk', bytes: CHUNK });
      await sleep(200);
      assert.equal(exited, false, 'held until a grant');
      await app.session.grant('disk', 2 * SIZE);
      assert.deepEqual(await app.exited, { code: 0, signal: null });
    } finally {
      await app.cleanup();
      remove();
    }
  });
}
