// UDP counted while untrapped (native/src/udpcount.c): an app launched untrapped runs in a
// cgroup v2 directory of its own whose cgroup_skb programs count its UDP payload; once a cap
// puts the full filter in, each call counts itself and the programs go. (Every send and receive
// form over IPv4 and IPv6, untrapped: test/native/bytes.test.ts.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cleanupAll, requireBuilt, startApp, tmpDir, udpEcho, waitFor } from './harness.js';

after(cleanupAll);

/**
 * A Python app that exchanges `first` datagrams of `size` bytes with the echo peer, prints
 * "first", waits for a line on its stdin, exchanges `second` more and prints "second"; each burst
 * on a socket of its own if `freshSocket`, else both on one.
 */
function twoBursts(dir: string, port: number, o: { first: number; second: number; size: number; freshSocket: boolean }): string {
  const script = path.join(dir, 'bursts.py');
  writeFileSync(
    script,
    [
      'import socket, sys',
      'def open_socket():',
      '    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      `    s.connect(("127.0.0.1", ${port}))`,
      '    s.settimeout(5)',
      '    return s',
      'shared = open_socket()',
      'def burst(n):',
      `    s = open_socket() if ${o.freshSocket ? 'True' : 'False'} else shared`,
      `    for _ in range(n): s.send(b"u" * ${o.size}); s.recv(65536)`,
      `burst(${o.first})`,
      'print("first", flush=True)',
      'sys.stdin.readline()',
      `burst(${o.second})`,
      'print("second", flush=True)',
    ].join('\n'),
  );
  return script;
}

/** The cgroup v2 path of a process ("0::" line of /proc/PID/cgroup). */
function v2Cgroup(pid: number): string {
  return /^0::(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, 'utf8'))?.[1] ?? '';
}

function v2Mount(): string {
  const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.includes(' - cgroup2 '));
  return line?.split(' ')[4] ?? '';
}

test("the app runs in the helper's own cgroup directory, which goes with the tree; a GSO send counts its whole payload", async () => {
  requireBuilt();
  const peer = await udpEcho('127.0.0.1');
  const t = tmpDir();
  const script = path.join(t.dir, 'gso.py');
  // One plain datagram of 500 bytes, then one GSO send of 5000 bytes cut into 1000-byte
  // datagrams (UDP_SEGMENT = 103); the six echoes come back.
  writeFileSync(
    script,
    [
      'import socket, sys',
      'print(open("/proc/self/cgroup").read().split("0::")[1].split()[0], flush=True)',
      's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      `s.connect(("127.0.0.1", ${peer.port}))`,
      's.settimeout(5)',
      's.send(b"p" * 500)',
      's.setsockopt(socket.IPPROTO_UDP, 103, 1000)',
      's.send(b"g" * 5000)',
      'got = sum(len(s.recv(65536)) for _ in range(6))',
      'print(got, flush=True)',
    ].join('\n'),
  );
  const app = await startApp('python3', [script], { untrapped: true });
  try {
    assert.deepEqual(await app.exited, { code: 0, signal: null }, app.stderr());
    const [cgroup, got] = (await app.output()).trim().split('\n');
    assert.equal(got, '5500');
    assert.equal(peer.received(), 5500);
    assert.match(cgroup!, new RegExp(`/interceptor-udp-${app.helper.pid}$`));
    const u = app.session.lastUsage!;
    assert.equal(u.netUp, 5500, app.logs.join('\n'));
    assert.equal(u.netDown, 5500, app.logs.join('\n'));
    await app.helperExited;
    assert.equal(existsSync(path.join(v2Mount(), cgroup!)), false, `${cgroup} left behind`);
  } finally {
    await app.cleanup();
    peer.close();
    t.remove();
  }
});

test("a directory a killed helper left behind is removed by the next helper that starts beside it; a live helper's is kept", async () => {
  requireBuilt();
  // (pid 4194304 and above do not exist: pid_max is at most 2^22)
  const here = path.join(v2Mount(), v2Cgroup(process.pid)); // (the helper's own cgroup: ours)
  const stale = path.join(here, 'interceptor-udp-4194305');
  const live = path.join(here, `interceptor-udp-${process.pid}`);
  for (const d of [stale, live]) mkdirSync(d, { recursive: true });
  const app = await startApp('true', [], { untrapped: true });
  try {
    assert.deepEqual(await app.exited, { code: 0, signal: null }, app.stderr());
    assert.equal(existsSync(stale), false, `${stale} left`);
    assert.equal(existsSync(live), true, 'the directory of a live process was removed');
  } finally {
    await app.cleanup();
    for (const d of [stale, live]) if (existsSync(d)) rmdirSync(d);
  }
});

test('a cap set later: UDP before it counted by the cgroup, after it by each call, none twice', async () => {
  requireBuilt();
  const peer = await udpEcho('127.0.0.1');
  const t = tmpDir();
  // 40 datagrams of 700 bytes echoed, then (after "go" on stdin) 25 more
  const script = twoBursts(t.dir, peer.port, { first: 40, second: 25, size: 700, freshSocket: false });
  const app = await startApp('python3', [script], { untrapped: true, stdin: 'pipe' });
  try {
    await waitFor('the first burst', () => app.stdout().includes('first'));
    const before = await app.usage();
    assert.equal(before.netUp, 40 * 700);
    assert.equal(before.netDown, 40 * 700);
    assert.ok(v2Cgroup(app.appPid).includes('interceptor-udp-'), v2Cgroup(app.appPid));
    await app.session.setLimitMode('netUp', 'credit');
    await app.session.grant('netUp', 1_000_000);
    app.helper.stdin!.write('go\n');
    assert.deepEqual(await app.exited, { code: 0, signal: null }, app.stderr());
    const u = app.session.lastUsage!;
    assert.equal(u.netUp, 65 * 700, app.logs.join('\n'));
    assert.equal(u.netDown, 65 * 700, app.logs.join('\n'));
  } finally {
    await app.cleanup();
    peer.close();
    t.remove();
  }
});

test("on cgroup v2 the engine's CPU cgroup for the app counts too: a socket made after the app moved there is counted", async () => {
  requireBuilt();
  const peer = await udpEcho('127.0.0.1');
  const t = tmpDir();
  // 10 datagrams of 900 bytes; after "go", 10 more from a socket made then
  const script = twoBursts(t.dir, peer.port, { first: 10, second: 10, size: 900, freshSocket: true });
  // what the engine makes on a cgroup v2 hierarchy with the cpu controller: a parent and the app's
  // cgroup under it (this machine's v2 hierarchy has no controller, but it is a real one)
  const parent = path.join(v2Mount(), `interceptor-test-${process.pid}`);
  const appDir = path.join(parent, 'app');
  mkdirSync(appDir, { recursive: true });
  const app = await startApp('python3', [script], { untrapped: true, stdin: 'pipe' });
  try {
    await waitFor('the first burst', () => app.stdout().includes('first'));
    await app.session.setCgroup(appDir, parent);
    writeFileSync(path.join(appDir, 'cgroup.procs'), `${app.appPid}\n`); // (the engine's joinTree)
    assert.equal(v2Cgroup(app.appPid), appDir.slice(v2Mount().length));
    app.helper.stdin!.write('go\n');
    assert.deepEqual(await app.exited, { code: 0, signal: null }, app.stderr());
    const u = app.session.lastUsage!;
    assert.equal(u.netUp, 20 * 900, app.logs.join('\n'));
    assert.equal(u.netDown, 20 * 900, app.logs.join('\n'));
  } finally {
    await app.cleanup();
    peer.close();
    t.remove();
    for (const d of [appDir, parent]) if (existsSync(d)) rmdirSync(d);
  }
});

test('under `ip netns exec` (its own /sys, no cgroup mounts) UDP is counted: the helper mounts the hierarchy in a mount namespace of its own', async (t) => {
  requireBuilt();
  const ns = `interceptor-udp-${process.pid}`;
  if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) return t.skip('cannot make a network namespace (root and iproute2 needed)');
  t.after(() => spawnSync('ip', ['netns', 'del', ns]));
  spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  const seen = spawnSync('ip', ['netns', 'exec', ns, 'cat', '/proc/self/mountinfo'], { encoding: 'utf8' }).stdout;
  assert.doesNotMatch(seen, / - cgroup2 /, 'the namespace has no cgroup2 mount (what this test is about)');
  // 2000 datagrams of 700 B from one of the app's sockets to another, in the namespace's loopback
  const app = await startApp(
    'python3',
    ['-c', [
      'import socket',
      'r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(("127.0.0.1", 0)); r.settimeout(5)',
      's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(r.getsockname())',
      'for _ in range(2000): s.send(b"n" * 700); r.recv(65536)',
      'print("cgroup2 seen" if " - cgroup2 " in open("/proc/self/mountinfo").read() else "no cgroup2")',
    ].join('\n')],
    { untrapped: true, prefix: ['ip', 'netns', 'exec', ns] },
  );
  try {
    assert.equal(app.session.hello.udpUncounted, null, 'UDP is counted');
    assert.equal(app.session.hello.udpCgroup, null, 'no path the engine could use (the mount is the helper\'s own)');
    assert.deepEqual(await app.exited, { code: 0, signal: null });
    assert.match(await app.output(), /^no cgroup2$/m, 'the app sees its namespace as natively');
    assert.equal(app.session.lastUsage?.netUp, 2000 * 700);
    assert.equal(app.session.lastUsage?.netDown, 2000 * 700);
  } finally {
    await app.cleanup();
  }
});
