// Exact byte accounting on real processes: files with every read/write family,
// TCP and UDP over IPv4 and IPv6 (loopback only), fd reuse across
// close/dup2/dup3/exec, and io_uring refused.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { baselineRead, bin, cleanupAll, dropCache, requireBuilt, startApp, storedBytes, tmpDir, udpEcho, warmUp } from './harness.js';

after(cleanupAll);

/** A TCP peer that counts what it receives, then sends `down` bytes and closes. */
async function tcpPeer(host: string, down: number): Promise<{ port: number; received: () => number; close: () => void }> {
  let received = 0;
  const server = net.createServer((s) => {
    s.on('data', (d: Buffer) => (received += d.length));
    s.on('error', () => undefined);
    s.on('end', () => {
      s.end(Buffer.alloc(down, 'd'));
    });
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return { port: (server.address() as net.AddressInfo).port, received: () => received, close: () => server.close() };
}

// Uncapped read/write-family calls are counted through per-thread I/O windows,
// the calls reaching the helper as seccomp user notifications (default) or as
// ptrace stops (INTERCEPTOR_HELPER_NO_UNOTIF=1); INTERCEPTOR_HELPER_NO_WINDOWS=1
// forces the ptrace exit-stop path. All must give the same exact figures.
const PATHS: [string, Record<string, string>][] = [
  ['notifications + I/O windows', {}],
  ['ptrace + I/O windows', { INTERCEPTOR_HELPER_NO_UNOTIF: '1' }],
  ['exit stops', { INTERCEPTOR_HELPER_NO_WINDOWS: '1' }],
];
for (const [label, env] of PATHS) {
test(`file I/O (${label}): every read/write form is charged exactly (write, pwrite, writev, pwritev(2), read, pread, readv, preadv(2), copy_file_range, sendfile)`, async () => {
  requireBuilt();
  const base = await baselineRead();
  const { dir, remove } = tmpDir();
  const app = await startApp(bin('io'), ['file', dir], { env });
  try {
    assert.deepEqual(await app.exited, { code: 0, signal: null }, app.stderr());
    const u = app.session.lastUsage!;
    assert.equal(u.diskWrite, 16500);
    // a read is charged what the disk did: each of the seven, cold, read its pages from storage
    const stored = storedBytes(await app.output());
    assert.ok(stored >= 7 * 4096, `the kernel counted ${stored} B read from storage for seven cold reads`);
    assert.equal(u.diskRead - base, stored);
    assert.equal(u.netUp + u.netDown, 0);
  } finally {
    await app.cleanup();
    remove();
  }
});
}

test('a thread alternating between charged and uncharged fds (file <-> pipe) is charged exactly', async () => {
  requireBuilt();
  const { dir, remove } = tmpDir();
  const a = path.join(dir, 'a');
  const size = 3 * 1024 * 1024 + 17;
  const w = await startApp(bin('io'), ['fwrite', a, String(size), '65536']);
  await w.exited;
  await w.cleanup();
  // cat A: read(file) / write(pipe) in turn; cat > B: read(pipe) / write(file) in turn
  // (each file read from storage: a read the page cache serves is no disk read)
  warmUp(['/bin/sh', '-c', 'sync --version; dd --version; cat --version']);
  const app = await startApp('/bin/sh', ['-c', `${dropCache(a)}; cat ${a} | cat > ${a}.b; ${dropCache(`${a}.b`)}; cat ${a}.b > /dev/null`]);
  try {
    assert.deepEqual(await app.exited, { code: 0, signal: null });
    const u = app.session.lastUsage!;
    assert.equal(u.diskWrite, size);
    const pages = 2 * Math.ceil(size / 4096) * 4096;
    assert.ok(u.diskRead >= pages && u.diskRead < pages + 64 * 1024, `diskRead ${u.diskRead - pages} beyond the pages of the data`);
  } finally {
    await app.cleanup();
    remove();
  }
});

test('a 4 MiB file written and copied with 64 KiB I/O is charged exactly; pipes and ttys are not charged', async () => {
  requireBuilt();
  const base = await baselineRead();
  const { dir, remove } = tmpDir();
  const a = path.join(dir, 'a');
  const total = 4 * 1024 * 1024 + 123;
  const app = await startApp('/bin/sh', ['-c', `${bin('io')} fwrite ${a} ${total} 65536 && ${dropCache(a)} && ${bin('io')} fcopy ${a} ${a}.copy 65536 && echo done | cat`]);
  try {
    assert.deepEqual(await app.exited, { code: 0, signal: null }, app.stderr());
    const u = app.session.lastUsage!;
    assert.equal(u.diskWrite, 2 * total);
    // the copy read its source from storage, every page; sh and cat load their own libraries:
    // everything beyond is loader reads
    assert.ok(u.diskRead - Math.ceil(total / 4096) * 4096 >= base, `${u.diskRead}`);
    assert.equal(await app.output(), 'done\n');
  } finally {
    await app.cleanup();
    remove();
  }
});

for (const host of ['127.0.0.1', '::1']) {
  test(`TCP over ${host.includes(':') ? 'IPv6' : 'IPv4'}: send/sendto/sendmsg/write up and recv/recvfrom/recvmsg/read down, exact`, async () => {
    requireBuilt();
    const up = 1_000_003;
    const down = 777_777;
    const peer = await tcpPeer(host, down);
    const app = await startApp(bin('io'), ['tcp', host, String(peer.port), String(up), String(down), '16384']);
    try {
      assert.deepEqual(await app.exited, { code: 0, signal: null }, app.stderr() + app.stdout());
      const u = app.session.lastUsage!;
      assert.equal(peer.received(), up);
      assert.equal(u.netUp, up);
      assert.equal(u.netDown, down);
      assert.equal(u.diskWrite, 0);
    } finally {
      await app.cleanup();
      peer.close();
    }
  });

  // untrapped: counted by the app's cgroup instead of per call (native/src/udpcount.c)
  for (const untrapped of [false, true]) {
    const how = untrapped ? ", untrapped (the app's cgroup counts it)" : '';
    test(`UDP over ${host.includes(':') ? 'IPv6' : 'IPv4'}${how}: sendto/sendmsg/sendmmsg and recvfrom/recvmsg/recvmmsg, exact`, async () => {
      requireBuilt();
      const peer = await udpEcho(host);
      const rounds = 30;
      const size = 1200;
      const app = await startApp(bin('io'), ['udp', host, String(peer.port), String(rounds), String(size)], { untrapped });
      try {
        assert.deepEqual(await app.exited, { code: 0, signal: null }, app.stderr());
        // 10 rounds each of 1, 1 and 2 datagrams
        const datagrams = (rounds / 3) * 4;
        assert.equal((await app.output()).trim(), `sent ${datagrams * size} received ${datagrams * size}`);
        const u = app.session.lastUsage!;
        const seen = `${JSON.stringify(u)}\n${app.logs.join('\n')}`;
        assert.equal(u.netUp, datagrams * size, seen);
        assert.equal(u.netDown, datagrams * size, seen);
      } finally {
        await app.cleanup();
        peer.close();
      }
    });
  }
}

// close/dup2/dup3/close_range are notifications answered CONTINUE (no exit seen: the fd stays
// "in flux", never cached, until the thread's next trapped call) or, on the ptrace fallback,
// ptrace stops with an exit. Above the helper's fd cache (FDCACHE_MAX, 4096) close/dup2/dup3 are
// not trapped at all (a program closing every number up to a high RLIMIT_NOFILE makes no
// notification for most): an fd there is classified afresh at every call, so its reuse is
// charged exactly too, and the calls fail as natively. A name there of a socket that a cached
// name meters finds that meter (it was charged twice: netUp 485 of 265).
const FD_CASES = [
  { mode: 'fdreuse', title: 'fd classification stays exact when fd numbers are reused across close, dup2, dup3 and exec', netUp: 610, diskWrite: 900 },
  { mode: 'fdhigh', title: "fd numbers above the helper's cache: reuse is charged exactly and closes fail as natively", netUp: 265, diskWrite: 450 },
] as const;
for (const [label, env] of [['notifications', {}], ['ptrace fallback', { INTERCEPTOR_HELPER_NO_UNOTIF: '1' }]] as const) {
  for (const { mode, title, netUp, diskWrite } of FD_CASES) {
    test(`${title} (${label})`, async () => {
      requireBuilt();
      const { dir, remove } = tmpDir();
      const peer = await tcpPeer('127.0.0.1', 0);
      const app = await startApp(bin('io'), [mode, dir, '127.0.0.1', String(peer.port)], { env });
      try {
        assert.deepEqual(await app.exited, { code: 0, signal: null }, app.stderr());
        const u = app.session.lastUsage!;
        assert.equal(u.netUp, netUp);
        assert.equal(u.diskWrite, diskWrite);
      } finally {
        await app.cleanup();
        peer.close();
        remove();
      }
    });
  }
}

test('io_uring_setup fails with ENOSYS so io_uring cannot bypass interception', async () => {
  requireBuilt();
  const app = await startApp(bin('io'), ['uring']);
  try {
    assert.deepEqual(await app.exited, { code: 0, signal: null });
  } finally {
    await app.cleanup();
  }
});
