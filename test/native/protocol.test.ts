// The control protocol under hostile input, both ways: the real helper facing a
// raw engine that sends malformed lines, and the CatcherServer/HelperSession
// facing a raw client that is not a well-behaved helper.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { CatcherServer, helperArgs } from '../../electron/engine/catcher/index.js';
import type { HelperSession } from '../../electron/engine/catcher/index.js';
import { bin, cleanupAll, goneOrZombie, HELPER, requireBuilt, tmpDir, waitFor } from './harness.js';

after(cleanupAll);

/** Line-oriented raw peer over one socket. */
function lines(sock: net.Socket): { next: (pred?: (m: Record<string, unknown>) => boolean) => Promise<Record<string, unknown>>; all: Record<string, unknown>[] } {
  const all: Record<string, unknown>[] = [];
  let buf = '';
  let waiters: (() => void)[] = [];
  sock.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      all.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
      buf = buf.slice(i + 1);
    }
    const w = waiters;
    waiters = [];
    w.forEach((f) => f());
  });
  let cursor = 0;
  return {
    all,
    next: async (pred = (m) => m.type !== 'usage' && m.type !== 'log' && m.type !== 'tree') => {
      for (;;) {
        while (cursor < all.length) {
          const m = all[cursor++]!;
          if (pred(m)) return m;
        }
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('no message from helper')), 10000);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
  };
}

test('the helper answers malformed input with errors and never crashes', async () => {
  requireBuilt();
  const { dir, remove } = tmpDir();
  const sockPath = path.join(dir, 'raw.sock');
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(sockPath, r));
  const conn = new Promise<net.Socket>((r) => server.once('connection', r));
  const helper = spawn(HELPER, helperArgs({ controlPath: sockPath }, bin('spinner'), ['1']), {
    env: { ...process.env, INTERCEPTOR_HELPER_TOKEN: 'raw-token_1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  helper.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const sock = await conn;
  const rx = lines(sock);
  try {
    const hello = await rx.next();
    assert.equal(hello.type, 'hello');
    assert.equal(hello.token, 'raw-token_1');
    const appPid = hello.appPid as number;

    const cases: [string, RegExp | null, unknown][] = [
      ['not json', /bad JSON/, null],
      ['[1,2]', /bad JSON/, null],
      ['{"type":"ping"}', /missing or invalid id/, null],
      ['{"type":"ping","id":1.5}', /missing or invalid id/, null],
      ['{"type":"ping","id":-1}', /missing or invalid id/, null],
      ['{"id":2}', /missing type/, 2],
      ['{"type":"ping","id":3,"x":{"a":1}}', /nested/, null],
      ['{"type":"ping","id":4,"type":"x"}', /duplicate key/, null],
      ['{"type":"ping","id":5,"s":"\\ud800"}', /bad string/, null],
      ['{"type":"ping","id":6,}', /bad JSON/, null],
      ['{"type":"ping","id":7} trailing', /trailing/, null],
      ['{"type":"grant","id":8,"resource":"cpu","bytes":1}', /unknown resource/, 8],
      ['{"type":"grant","id":9,"resource":"netUp","bytes":-1}', /bytes/, 9],
      ['{"type":"grant","id":10,"resource":"netUp","bytes":1e16}', /bytes/, 10],
      ['{"type":"grant","id":11,"resource":"netUp","bytes":"5"}', /bytes/, 11],
      ['{"type":"limit","id":12,"resource":"disk","mode":"fast"}', /mode/, 12],
      ['{"type":"cpu","id":13,"action":"run","ms":0}', /ms/, 13],
      ['{"type":"cpu","id":14,"action":"jump"}', /action/, 14],
      ['{"type":"memCeiling","id":15,"bytes":"10"}', /bytes/, 15],
      ['{"type":"config","id":16,"usagePeriodMs":5}', /usagePeriodMs/, 16],
      ['{"type":"signal","id":17,"signal":"SIGSTOP"}', /signal/, 17],
      ['{"type":"terminate","id":18,"graceMs":1e9}', /graceMs/, 18],
      ['{"type":"warp","id":19}', /unknown type/, 19],
      ['{"type":"cgroup","id":22,"app":"/etc/x","parent":"/sys/fs/cgroup/cpu"}', /under \/sys\/fs\/cgroup/, 22],
      ['{"type":"cgroup","id":23,"app":"/sys/fs/cgroup/cpu/../../etc","parent":"/sys/fs/cgroup/cpu"}', /under \/sys\/fs\/cgroup/, 23],
      ['{"type":"cgroup","id":24,"app":"/sys/fs/cgroup/cpu/a"}', /under \/sys\/fs\/cgroup/, 24],
      ['{"type":"ping","id":20,"note":"\\u00e9\\ud83d\\ude00 ok"}', null, 20],
      ['{"type":"ping","id":21,"n":null,"b":true,"f":-0.5e-3}', null, 21],
    ];
    for (const [line, err, id] of cases) {
      sock.write(line + '\n');
      const m = await rx.next();
      assert.equal(m.type, 'reply', line);
      assert.equal(m.id, id, line);
      if (err) {
        assert.equal(m.ok, false, line);
        assert.match(String(m.error), err, line);
      } else assert.equal(m.ok, true, line);
    }
    // NUL byte inside a line
    sock.write(Buffer.concat([Buffer.from('{"type":"ping","id":30}'), Buffer.from([0]), Buffer.from('x\n')]));
    assert.match(String((await rx.next()).error), /NUL/);
    // over-long line: discarded up to its newline, answered once
    sock.write('{"type":"ping","id":31,"pad":"' + 'x'.repeat(70000) + '"}\n');
    const tooLong = await rx.next();
    assert.deepEqual(tooLong, { type: 'error', error: 'line too long' });
    // a line of exactly 65536 bytes is accepted
    const head = '{"type":"ping","id":32,"pad":"';
    const exact = head + 'y'.repeat(65536 - head.length - 2) + '"}';
    assert.equal(Buffer.byteLength(exact), 65536);
    sock.write(exact + '\n');
    assert.deepEqual(await rx.next(), { type: 'reply', id: 32, ok: true });
    // split across writes, several per write
    sock.write('{"type":"pi');
    await new Promise((r) => setTimeout(r, 50));
    sock.write('ng","id":33}\n{"type":"ping","id":34}\n');
    assert.equal((await rx.next()).id, 33);
    assert.equal((await rx.next()).id, 34);

    assert.equal(helper.exitCode, null, 'helper died on input');
    assert.equal(goneOrZombie(appPid), false);
    assert.equal(stderr, '');
    sock.write('{"type":"terminate","id":40,"graceMs":0}\n');
    assert.equal((await rx.next()).id, 40);
    const exit = await rx.next((m) => m.type === 'exit');
    assert.deepEqual(exit, { type: 'exit', code: null, signal: 'SIGKILL' });
  } finally {
    helper.kill('SIGKILL');
    sock.destroy();
    server.close();
    remove();
  }
});

test('CatcherServer: unknown tokens, bad hellos and over-long lines are refused; the directory is private', async () => {
  const logs: string[] = [];
  const server = await CatcherServer.listen({ log: (_l, m) => logs.push(m), helloTimeoutMs: 500 });
  try {
    const { statSync } = await import('node:fs');
    assert.equal(statSync(server.dir).mode & 0o777, 0o700);
    const { session } = server.expect({ timeoutMs: 5000 });
    let resolved = false;
    void session.then(() => (resolved = true), () => undefined);
    const attempt = async (payload: string | Buffer): Promise<void> => {
      const c = net.createConnection(server.path);
      c.on('error', () => undefined);
      await new Promise<void>((r) => c.once('connect', () => r()));
      c.write(payload);
      await new Promise<void>((r) => c.once('close', () => r()));
    };
    const hello = (token: string) =>
      JSON.stringify({ type: 'hello', version: 1, token, helperPid: 10, appPid: 11, features: { seccomp: true, ptraceSeize: true, userNotif: true, rt: false, pidfd: true }, ncpu: 2 }) + '\n';
    await attempt(hello('0'.repeat(64)));
    await attempt('{"type":"hello"}\n');
    await attempt('garbage\n');
    await attempt(Buffer.alloc(70000, 'a'));
    await attempt(''); // says nothing: closed after helloTimeoutMs
    assert.equal(resolved, false);
    assert.ok(logs.some((l) => l.includes('unknown token')));
    assert.ok(logs.some((l) => l.includes('not a valid hello')));
    assert.ok(logs.some((l) => l.includes('over-long')));
    assert.ok(logs.some((l) => l.includes('no hello')));
  } finally {
    await server.close();
  }
});

test('HelperSession validates every helper message: malformed ones are dropped and logged', async () => {
  const server = await CatcherServer.listen();
  try {
    const { token, session } = server.expect();
    const c = net.createConnection(server.path);
    await new Promise<void>((r) => c.once('connect', () => r()));
    c.write(
      JSON.stringify({ type: 'hello', version: 1, token, helperPid: 10, appPid: 11, features: { seccomp: true, ptraceSeize: true, userNotif: true, rt: false, pidfd: true }, ncpu: 2, clockTicks: 100 }) + '\n',
    );
    const s: HelperSession = await session;
    const logs: string[] = [];
    const usages: number[] = [];
    s.on('log', (_l, m) => logs.push(m));
    s.on('usage', (u) => usages.push(u.cpuNs));
    const good = { type: 'usage', t: 1, cpuNs: 5, netUp: 0, netDown: 0, diskRead: 0, diskWrite: 0, memBytes: 0, heldNetUp: 0, heldNetDown: 0, heldDisk: 0, heldCalls: 0, threads: 1, processes: 1, cpuState: 'free',
      credit: { netUp: 0, netDown: -4096, disk: 0 }, granted: { netUp: 0, netDown: 65536, disk: 0 } };
    c.write('not json\n');
    c.write(JSON.stringify({ ...good, cpuNs: -1 }) + '\n');
    c.write(JSON.stringify({ ...good, cpuState: 'dancing' }) + '\n');
    c.write(JSON.stringify({ ...good, credit: { netUp: 0, netDown: 0 } }) + '\n');
    c.write(JSON.stringify({ ...good, credit: { ...good.credit, disk: 0.5 } }) + '\n');
    c.write(JSON.stringify({ ...good, granted: { ...good.granted, disk: -1 } }) + '\n');
    c.write(JSON.stringify({ type: 'demand', resource: 'cpu', bytes: 1 }) + '\n');
    c.write(JSON.stringify({ type: 'tree', event: 'spawn', pid: -4, ppid: 1, comm: 'x' }) + '\n');
    c.write(JSON.stringify({ type: 'mystery' }) + '\n');
    c.write('x'.repeat(70000) + '\n');
    c.write(JSON.stringify(good) + '\n');
    await waitFor('valid usage', () => usages.length === 1);
    assert.deepEqual(usages, [5]);
    assert.ok(logs.length >= 10, logs.join('\n'));
    assert.deepEqual(s.lastUsage?.credit, good.credit);
    // a command's promise rejects when the helper refuses it, and on close
    const p = s.requestUsage();
    c.write('{"type":"reply","id":1,"ok":false,"error":"nope"}\n');
    await assert.rejects(p, /nope/);
    const q = s.free();
    c.destroy();
    await assert.rejects(q, /closed/);
    await waitFor('closed', () => s.closed);
    await assert.rejects(s.grant('netUp', -5), RangeError);
  } finally {
    await server.close();
  }
});

test('parseHello keeps the notification-path features, and an older hello without them means ptrace only', async () => {
  const { parseHello } = await import('../../electron/engine/catcher/helper-session.js');
  const base = { type: 'hello', version: 1, token: 't', helperPid: 10, appPid: 11, ncpu: 2 };
  const old = { seccomp: true, ptraceSeize: true, userNotif: true, rt: false, pidfd: true };
  const a = parseHello({ ...base, features: old });
  assert.equal(a?.features.notifPath, false);
  assert.equal(a?.features.notifSyncWake, false);
  const b = parseHello({ ...base, features: { ...old, notifPath: true, notifSyncWake: true } });
  assert.equal(b?.features.notifPath, true);
  assert.equal(b?.features.notifSyncWake, true);
  // a non-boolean is not taken as true
  assert.equal(parseHello({ ...base, features: { ...old, notifPath: 'yes' } })?.features.notifPath, false);
});

test("parseHello takes the app's own cgroup (udpCgroup) only as a directory under /sys/fs/cgroup, and why UDP is not counted (udpUncounted) as a short text", async () => {
  const { parseHello } = await import('../../electron/engine/catcher/helper-session.js');
  const base = { type: 'hello', version: 1, token: 't', helperPid: 10, appPid: 11, ncpu: 2, features: { seccomp: true, ptraceSeize: true, userNotif: true, rt: false, pidfd: true } };
  assert.equal(parseHello(base)?.udpCgroup, null, 'an older helper: none');
  assert.equal(parseHello({ ...base, udpCgroup: null })?.udpCgroup, null);
  assert.equal(parseHello({ ...base, udpCgroup: '/sys/fs/cgroup/unified/interceptor-udp-10' })?.udpCgroup, '/sys/fs/cgroup/unified/interceptor-udp-10');
  for (const bad of ['/etc', '/sys/fs/cgroup/../../etc', 42, '', `/sys/fs/cgroup/${'x'.repeat(5000)}`]) {
    assert.equal(parseHello({ ...base, udpCgroup: bad }), null, JSON.stringify(bad).slice(0, 40));
  }
  // and why it is not counted, a short text or null
  assert.equal(parseHello(base)?.udpUncounted, null);
  assert.equal(parseHello({ ...base, udpUncounted: 'no cgroup v2 hierarchy: No such file or directory' })?.udpUncounted, 'no cgroup v2 hierarchy: No such file or directory');
  for (const bad of ['', 7, 'x'.repeat(401)]) assert.equal(parseHello({ ...base, udpUncounted: bad }), null);
});
