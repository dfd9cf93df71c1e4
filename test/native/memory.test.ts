// The memory broker: with a ceiling, allocations that would exceed it fail with
// ENOMEM (denied event) while the app keeps running; PROT_NONE reservations
// count only once made writable.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bin, cleanupAll, requireBuilt, sleep, startApp, waitFor } from './harness.js';

after(cleanupAll);

const MiB = 1024 * 1024;

// brk/mmap/mremap/mprotect are notifications decided from their arguments, or ptrace stops on
// the fallback path: both must deny alike.
const PATHS = [['notifications', {}], ['ptrace fallback', { INTERCEPTOR_HELPER_NO_UNOTIF: '1' }]] as const;

async function hog(mode: string, chunkMb: number, count: number, ceiling: number | null, env: Record<string, string> = {}) {
  const app = await startApp(bin('memhog'), [mode, String(chunkMb), String(count)], { free: false, env });
  try {
    await app.session.setMemCeiling(ceiling);
    await app.session.free();
    const exit = await app.exited;
    const out = await app.output();
    const m = /ok (\d+) errno (\d+)\nalive\n/.exec(out);
    return { exit, ok: m ? Number(m[1]) : -1, errno: m ? Number(m[2]) : -1, out, denied: app.denied, usage: app.session.lastUsage! };
  } finally {
    await app.cleanup();
  }
}

test('without a ceiling every allocation succeeds', async () => {
  requireBuilt();
  const r = await hog('mmap', 8, 12, null);
  assert.deepEqual(r.exit, { code: 0, signal: null }, r.out);
  assert.equal(r.ok, 12);
  assert.equal(r.denied.length, 0);
});

for (const [label, env] of PATHS) for (const mode of ['mmap', 'reserve', 'brk']) {
  test(`${mode}: an allocation beyond the ceiling fails with ENOMEM and the app keeps running (${label})`, async () => {
    requireBuilt();
    const ceiling = 80 * MiB;
    const r = await hog(mode, 8, 32, ceiling, env);
    assert.deepEqual(r.exit, { code: 0, signal: null }, r.out);
    assert.equal(r.errno, 12, `expected ENOMEM, got: ${r.out}`);
    // the process's own data (libc, stack excluded) is a few MiB: 8 or 9 chunks fit
    assert.ok(r.ok >= 7 && r.ok <= 9, `allocated ${r.ok} x 8 MiB under an 80 MiB ceiling`);
    assert.ok(r.denied.length >= 1);
    const d = r.denied[0]!;
    assert.equal(d.syscall, mode === 'mmap' ? 'mmap' : mode === 'reserve' ? 'mprotect' : 'brk');
    assert.ok(d.bytes >= 8 * MiB);
    if (mode === 'reserve') {
      // the 256 MiB PROT_NONE reservation itself was not charged
      assert.ok(r.ok >= 7);
    }
  });
}

test('memBytes reports the committed private writable memory of the tree', async () => {
  requireBuilt();
  const app = await startApp(bin('memhog'), ['mmap', '16', '4', 'hold']);
  try {
    await waitFor('allocations', () => app.stdout().includes('alive'));
    const u = await app.usage();
    assert.ok(u.memBytes >= 64 * MiB && u.memBytes < 64 * MiB + 32 * MiB, `memBytes ${u.memBytes / MiB} MiB`);
    // a ceiling below the current use denies any further growth but kills nothing
    await app.session.setMemCeiling(u.memBytes);
    await app.session.signal('SIGTERM');
    assert.deepEqual(await app.exited, { code: null, signal: 'SIGTERM' });
  } finally {
    await app.cleanup();
  }
});

// The filter lets through what cannot add to VmData (shared libraries are mapped this way, rtorrent
// maps its chunks shared): such calls must not wait for the helper at all. Shown with the helper
// stopped: the app's calls finish (it says so through a shared mapping, with no trapped call);
// with one private writable mmap among them the app waits until the helper runs again.
for (const [label, env] of PATHS) for (const grow of [false, true]) {
  test(`${grow ? 'a private writable mmap waits for the helper' : 'read-only, shared and stack mmaps and mprotects that make nothing writable pass the filter'} (${label})`, async () => {
    requireBuilt();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'interceptor-unmetered-'));
    const mark = path.join(dir, 'mark');
    writeFileSync(mark, Buffer.alloc(4096));
    const app = await startApp(bin('memhog'), ['unmetered', mark, ...(grow ? ['grow'] : [])], { env });
    try {
      await waitFor('ready', () => app.stdout().includes('ready'));
      process.kill(app.helper.pid!, 'SIGSTOP');
      const said = () => readFileSync(mark).subarray(1, 5).toString();
      try {
        writeFileSync(mark, 'g', { flag: 'r+' });
        if (grow) {
          await sleep(1000);
          assert.equal(said(), '\0\0\0\0', 'the private writable mmap did not wait for the stopped helper');
        } else {
          await waitFor('the calls done while the helper is stopped', () => said() !== '\0\0\0\0', 5000);
          assert.equal(said(), 'done');
        }
      } finally {
        process.kill(app.helper.pid!, 'SIGCONT');
      }
      assert.deepEqual(await app.exited, { code: 0, signal: null });
      assert.equal(said(), 'done');
    } finally {
      await app.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
