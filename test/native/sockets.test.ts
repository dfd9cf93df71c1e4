// The send/recv family on the notification path (native/src/sockets.c): the
// helper performs the call itself. Whatever path a call takes, the app must
// see exactly what it sees natively, bytes must be exact, and a call held for
// credit must still let signals, job control and death through.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { bin, cleanupAll, requireFile, sleep, startApp, waitFor, type App } from './harness.js';

after(cleanupAll);

const SOCKCHECK = bin('sockcheck');
const requireSockcheck = (): void => requireFile(SOCKCHECK, 'build it with `make -C native`');

// The fast path (default) and the ptrace path it falls back to on kernels
// without killable notifications (forced here with the environment).
const PATHS: [string, Record<string, string>][] = [
  ['notification path', {}],
  ['ptrace path', { INTERCEPTOR_HELPER_NO_SOCKNOTIF: '1' }],
];

test('the helper says whether it performs socket calls on the notification path', async () => {
  requireSockcheck();
  for (const [label, env] of PATHS) {
    const app = await startApp(bin('io'), ['noop'], { env });
    try {
      await app.exited;
      assert.equal(app.session.hello.features.sockNotif, label === 'notification path', label);
    } finally {
      await app.cleanup();
    }
  }
});

const native = (args: string[], program = SOCKCHECK): string => {
  const r = spawnSync(program, args, { encoding: 'utf8', timeout: 40000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
};

const usageOf = async (args: string[], env: Record<string, string>, program = SOCKCHECK): Promise<{ out: string; up: number; down: number }> => {
  const app = await startApp(program, args, { env });
  try {
    assert.deepEqual(await app.exited, { code: 0, signal: null }, app.stderr());
    const u = app.session.lastUsage!;
    return { out: await app.output(), up: u.netUp, down: u.netDown };
  } finally {
    await app.cleanup();
  }
};

test('socket semantics are the same natively and on both paths (peek, waitall, EAGAIN, blocking waits, timeouts, EOF, EPIPE, UDP names, truncation, ancillary data, mmsg, IPv6)', async () => {
  requireSockcheck();
  const expected = native(['semantics']);
  const charged: { up: number; down: number }[] = [];
  for (const [label, env] of PATHS) {
    const r = await usageOf(['semantics'], env);
    assert.equal(r.out, expected, `${label} differs from the native run`);
    charged.push({ up: r.up, down: r.down });
  }
  // the same bytes whichever path carried them; peeks are not charged on either
  const [fast, ptrace] = charged as [{ up: number; down: number }, { up: number; down: number }];
  assert.deepEqual(fast, ptrace);
  assert.ok(fast.up > 0 && fast.down > 0);
});

// An uncapped TCP socket's calls run natively and its bytes come from the kernel's per-socket
// counters (native/src/meters.c); a capped one's calls are performed by the helper and settled
// from the same counters. Every byte must be charged exactly once whatever route it took
// (read/write, vectored, msg, two fds naming one socket, a forked child's writes, FINs and a reset)
// and when the caps change while a recv is already waiting in the kernel.
test('TCP bytes are charged exactly once by every route and across cap changes (socket meters)', { timeout: 60_000 }, async () => {
  const SOCKMETER = bin('sockmeter');
  requireFile(SOCKMETER, 'build it with `make -C native`');
  const expected = native([], SOCKMETER);
  const [, up, down] = /sent (\d+) received (\d+)/.exec(expected)!.map(Number);
  type Flip = 'none' | 'cap' | 'uncap';
  const runs: [string, Record<string, string>, Flip][] = [
    ['uncapped', {}, 'none'],
    ['capped', {}, 'none'],
    ['capped while the recv waits', {}, 'cap'],
    ['uncapped while the recv waits', {}, 'uncap'],
    ['ptrace path', { INTERCEPTOR_HELPER_NO_SOCKNOTIF: '1' }, 'none'],
  ];
  for (const [label, env, flip] of runs) {
    const app = await startApp(SOCKMETER, [], { env, free: false });
    const s = app.session;
    const cap = async (): Promise<void> => {
      for (const r of ['netUp', 'netDown'] as const) {
        await s.setLimitMode(r, 'credit');
        await s.grant(r, 1e9);
      }
    };
    try {
      if (label.startsWith('capped') || flip === 'uncap') await cap();
      await s.free();
      await waitFor('waiting', () => app.stdout().includes('waiting\n'));
      await sleep(300); // (the recv is in the kernel: its sender waits a second)
      if (flip === 'cap') await cap();
      if (flip === 'uncap') for (const r of ['netUp', 'netDown'] as const) await s.setLimitMode(r, 'unlimited');
      assert.deepEqual(await app.exited, { code: 0, signal: null }, app.stderr());
      assert.equal(await app.output(), expected, `${label} differs from the native run`);
      assert.deepEqual({ up: s.lastUsage!.netUp, down: s.lastUsage!.netDown }, { up, down }, label);
    } finally {
      await app.cleanup();
    }
  }
});

// The helper keeps a duplicate of each socket it performs calls on (native/src/fds.c): held a
// moment too long it would keep a closed socket open (no EOF for the peer, an epoll set still
// reporting it, a reused fd number sending to the old peer), and after a thread unshares the fd
// table the same number may name another socket for another thread.
test('close, dup2, dup3, close_range, exec, exit and unshare do to sockets what they do natively, though the helper keeps duplicates', async () => {
  const SOCKFDS = bin('sockfds');
  requireFile(SOCKFDS, 'build it with `make -C native`');
  const expected = native([], SOCKFDS);
  for (const [label, env] of [...PATHS, ['ptrace fallback', { INTERCEPTOR_HELPER_NO_UNOTIF: '1' }]] as const) {
    const r = await usageOf([], env, SOCKFDS);
    assert.equal(r.out, expected, `${label} differs from the native run`);
  }
});

for (const [label, env] of PATHS) {
  test(`${label}: a thread other than the process leader is charged for its TCP bytes only, not for an AF_UNIX pair`, async () => {
    requireSockcheck();
    const r = await usageOf(['threads'], env);
    assert.equal(r.out, native(['threads']));
    assert.deepEqual({ up: r.up, down: r.down }, { up: 300, down: 300 });
  });
}

test('a download under credit: every byte arrives, is charged exactly, and never runs more than one call ahead of the grants', async () => {
  requireSockcheck();
  const total = 8 * 1024 * 1024;
  const app = await startApp(SOCKCHECK, ['bigread', String(total)], { free: false });
  const s = app.session;
  let granted = 0;
  let worstAhead = -Infinity;
  try {
    await s.setLimitMode('netDown', 'credit');
    await s.free();
    const grant = 256 * 1024;
    let exited = false;
    void app.exited.then(() => (exited = true));
    while (!exited) {
      await s.grant('netDown', grant);
      granted += grant;
      await sleep(5);
      const u = await app.usage().catch(() => null);
      if (u) worstAhead = Math.max(worstAhead, u.netDown - granted);
    }
    assert.deepEqual(await app.exited, { code: 0, signal: null }, app.stderr());
    assert.match(await app.output(), new RegExp(`^got ${total} `));
    assert.equal(s.lastUsage!.netDown, total);
    // a call passes while the credit is positive and may overshoot by its own size:
    // at most one receive buffer (a capped socket's is a few round trips, >= 64 KiB)
    assert.ok(worstAhead <= 4 * 1024 * 1024, `ran ${worstAhead} bytes ahead of the grants`);
  } finally {
    await app.cleanup();
  }
});

for (const [label, env] of PATHS) {
  test(`${label}: a recv held for credit lets a signal handler run, stops and continues with job control, and completes on a grant`, { timeout: 30_000 }, async () => {
    requireSockcheck();
    const app = await startApp(SOCKCHECK, ['heldsignal'], { env, free: false });
    const s = app.session;
    try {
      await s.setLimitMode('netDown', 'credit'); // credit starts at 0
      await s.free();
      await waitFor('ready', () => app.stdout().includes('ready\n'));
      await waitFor('the recv held', () => app.demands.some((d) => d.resource === 'netDown'));
      process.kill(app.appPid, 'SIGUSR1');
      await waitFor('the handler to run while held', () => app.stdout().includes('handler\n'), 3000);
      assert.doesNotMatch(app.stdout(), /recv =/, 'the recv returned without credit');
      // (a traced job-control stop reads 't' in /proc, like any ptrace stop: the helper says)
      process.kill(app.appPid, 'SIGSTOP');
      await waitFor('stopped', () => app.logs.some((l) => l.includes('job-control stop')), 3000);
      process.kill(app.appPid, 'SIGCONT');
      await waitFor('running again', () => app.logs.some((l) => l.includes('job-control continue')), 3000);
      await sleep(100);
      assert.doesNotMatch(app.stdout(), /recv =/, 'the recv returned without credit after SIGCONT');
      await s.grant('netDown', 1000);
      assert.deepEqual(await app.exited, { code: 0, signal: null }, app.stderr());
      assert.equal(await app.output(), 'ready\nhandler\nrecv = 4\n');
      assert.equal(s.lastUsage!.netDown, 4);
    } finally {
      await app.cleanup();
    }
  });

  test(`${label}: a recv held for credit dies at once on SIGTERM`, { timeout: 30_000 }, async () => {
    requireSockcheck();
    const app = await startApp(SOCKCHECK, ['heldsignal'], { env, free: false });
    try {
      await app.session.setLimitMode('netDown', 'credit');
      await app.session.free();
      await waitFor('the recv held', () => app.demands.some((d) => d.resource === 'netDown'));
      const t0 = Date.now();
      process.kill(app.appPid, 'SIGTERM');
      assert.deepEqual(await app.exited, { code: null, signal: 'SIGTERM' });
      assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
    } finally {
      await app.cleanup();
    }
  });
}

const RMEM_DEFAULT = Number(readFileSync('/proc/sys/net/ipv4/tcp_rmem', 'utf8').trim().split(/\s+/)[1]);

/** Runs `sockcheck rcvbuf` (or `udpbuf`), capped (credit) in round 1 and uncapped in round 2; `grant` gives the credit. */
async function rcvbufRounds(args: string[], mode: 'rcvbuf' | 'udpbuf' = 'rcvbuf', grant = (s: App['session']) => s.grant('netDown', 1 << 20)): Promise<string[]> {
  const app = await startApp(SOCKCHECK, [mode, ...args], { free: false, stdin: 'pipe' });
  const s = app.session;
  try {
    await s.setLimitMode('netDown', 'credit');
    await grant(s);
    await s.free();
    await waitFor('before', () => app.stdout().includes('before'));
    app.helper.stdin!.write('capped\n');
    await waitFor('round 1', () => app.stdout().includes('round1'));
    await s.setLimitMode('netDown', 'unlimited');
    app.helper.stdin!.end('uncapped\n');
    assert.deepEqual(await app.exited, { code: 0, signal: null }, app.stderr());
    return (await app.output()).trim().split('\n');
  } finally {
    await app.cleanup();
  }
}

test('under a download cap a TCP socket gets a small locked receive buffer; uncapped, the kernel autotunes it again', async () => {
  requireSockcheck();
  assert.deepEqual(native(['rcvbuf']).trim().split('\n').slice(0, 1), [`before ${RMEM_DEFAULT} locked 0`]);
  const lines = await rcvbufRounds([]);
  assert.equal(lines[0], `before ${RMEM_DEFAULT} locked 0`);
  // 64 KiB (the floor: loopback's round trip is tiny), which the kernel doubles
  assert.equal(lines[1], `round1 ${2 * 65536} locked 1`);
  assert.match(lines[2] ?? '', /^round2 \d+ locked 0$/);
});

// A close answered CONTINUE keeps its fd uncached until its thread's next trapped call; a thread
// that closed a socket and went to sleep must not keep the number uncached for good (libtorrent's
// peer socket reused such a number: every call on it took a fresh copy, and its buffer stayed locked).
test('a socket on a number another thread closed and then slept on is cached like any other (its buffer unlocks again)', async () => {
  requireSockcheck();
  const lines = await rcvbufRounds(['0', 'reused']);
  assert.equal(lines[1], `round1 ${2 * 65536} locked 1`);
  assert.match(lines[2] ?? '', /^round2 \d+ locked 0$/);
});

// A datagram socket has no flow control: what arrives while the app waits for credit queues in its
// buffer and past it is dropped, and uTP halves its rate at each loss (qBittorrent over uTP under
// --down 2MB/s kept 1.27–2.00 MB/s with the default buffer): capped, it holds half a second of
// the granted rate; uncapped again, the system's default.
test("under a download cap a UDP socket's receive buffer holds half a second of the granted rate; uncapped, the default again", async () => {
  requireSockcheck();
  const udpDefault = Number(readFileSync('/proc/sys/net/core/rmem_default', 'utf8').trim());
  // two grants 0.6 s apart: the helper takes the rate it is granted at from them (8 MB over ~0.6 s)
  const lines = await rcvbufRounds([], 'udpbuf', async (s) => {
    await s.grant('netDown', 4_000_000);
    await sleep(600);
    await s.grant('netDown', 4_000_000);
  });
  assert.equal(lines[0], `before ${udpDefault} locked 0`);
  const round1 = /^round1 (\d+) locked 1$/.exec(lines[1] ?? '');
  assert.ok(round1, lines.join('\n'));
  // half a second of ~13 MB/s (the kernel doubles what is set), far above the default
  const size = Number(round1[1]) / 2;
  assert.ok(size > 3_000_000 && size < 8_000_000, `${size} B for half a second of ~13 MB/s`);
  assert.equal(lines[2], `round2 ${udpDefault} locked 0`);
});

test('a receive buffer the app sized itself is left alone under a download cap', async () => {
  requireSockcheck();
  const lines = await rcvbufRounds(['1048576']);
  assert.deepEqual(lines, ['before 2097152 locked 1', 'round1 2097152 locked 1', 'round2 2097152 locked 1']);
});
