// The headless server: token on every request (HTTP 401, WS refused), Host header
// against DNS rebinding, Origin of WebSocket upgrades, security headers, the cookie
// hand-off, static files, and the contract end to end over the WebSocket.
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import WebSocket from 'ws';
import { startServer, connectRemote, cookieName, type RunningServer } from '../../../electron/engine/server/index.js';
import { CommandError } from '../../../electron/common/contract.js';
import { requireHelper, testEngine, tempDir, until, zeroShares } from '../helpers.js';

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function get(server: RunningServer, pathname: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: server.port, path: pathname, method, headers: { Host: `127.0.0.1:${server.port}`, ...headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function wsOutcome(url: string, headers: Record<string, string>): Promise<{ open: boolean; status: number | null }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      resolve({ open: true, status: 101 });
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve({ open: false, status: res.statusCode ?? null });
      ws.terminate();
    });
    ws.once('error', () => resolve({ open: false, status: null }));
  });
}

async function setup(t: Parameters<typeof testEngine>[0], staticDir?: string) {
  const { engine } = await testEngine(t);
  const server = await startServer(engine, { port: 0, staticDir });
  t.after(() => server.close());
  return { engine, server };
}

test('a request without the token (or with a wrong one) is refused', async (t) => {
  const { server } = await setup(t);
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
  for (const p of ['/', '/index.html', '/api/state', '/assets/x.js']) {
    const r = await get(server, p);
    assert.equal(r.status, 401, p);
    assert.ok(!r.body.includes(server.token));
  }
  assert.equal((await get(server, '/?token=' + 'f'.repeat(64))).status, 401);
  assert.equal((await get(server, '/api/state', { Authorization: 'Bearer wrong' })).status, 401);
  assert.equal((await get(server, '/api/state', { Cookie: `${cookieName(server.port)}=nope` })).status, 401);
  const ok = await get(server, '/api/state', { Authorization: `Bearer ${server.token}` });
  assert.equal(ok.status, 200);
  assert.equal(JSON.parse(ok.body).profile, 'inUse');
});

test('the WebSocket refuses a missing token, a wrong Host and a foreign Origin', async (t) => {
  const { server } = await setup(t);
  const ws = `ws://127.0.0.1:${server.port}/ws`;
  assert.deepEqual(await wsOutcome(ws, {}), { open: false, status: 401 });
  assert.deepEqual(await wsOutcome(ws + '?token=bad', {}), { open: false, status: 401 });
  assert.deepEqual(await wsOutcome(ws, { Authorization: `Bearer ${server.token}`, Host: `evil.example:${server.port}` }), { open: false, status: 403 });
  assert.deepEqual(await wsOutcome(ws, { Authorization: `Bearer ${server.token}`, Origin: 'http://evil.example' }), { open: false, status: 403 });
  assert.deepEqual(await wsOutcome(ws, { Authorization: `Bearer ${server.token}`, Origin: `http://localhost:${server.port + 1}` }), { open: false, status: 403 });
  assert.deepEqual(await wsOutcome(ws, { Authorization: `Bearer ${server.token}`, Origin: `http://127.0.0.1:${server.port}` }), { open: true, status: 101 });
  assert.deepEqual(await wsOutcome(ws + `?token=${server.token}`, {}), { open: true, status: 101 });
  assert.deepEqual(await wsOutcome(ws, { Cookie: `${cookieName(server.port)}=${server.token}`, Origin: `http://localhost:${server.port}`, Host: `localhost:${server.port}` }), { open: true, status: 101 });
});

test('a wrong Host header is refused even with the token (DNS rebinding)', async (t) => {
  const { server } = await setup(t);
  const auth = { Authorization: `Bearer ${server.token}` };
  assert.equal((await get(server, '/api/state', { ...auth, Host: `attacker.example:${server.port}` })).status, 403);
  assert.equal((await get(server, '/api/state', { ...auth, Host: `127.0.0.1:${server.port + 1}` })).status, 403);
  assert.equal((await get(server, '/api/state', { ...auth, Host: `localhost:${server.port}` })).status, 200);
});

test('the token on the page URL becomes an HttpOnly SameSite=Strict cookie; security headers', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><script type="module" src="/assets/app.js"></script>');
  writeFileSync(path.join(dir, 'assets/app.js'), 'console.log(1)');
  writeFileSync(path.join(dir, '.secret'), 'no');
  const { server } = await setup(t, dir);
  const first = await get(server, `/?token=${server.token}`);
  assert.equal(first.status, 303);
  assert.equal(first.headers.location, '/');
  const cookie = String(first.headers['set-cookie']);
  assert.match(cookie, new RegExp(`^${cookieName(server.port)}=${server.token};`));
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  // from another site (interceptor open's launcher page): a page of ours moves on, so the Strict cookie goes along
  const cross = await get(server, `/?token=${server.token}&x=1`, { 'Sec-Fetch-Site': 'cross-site' });
  assert.equal(cross.status, 200);
  assert.equal(String(cross.headers['set-cookie']), cookie);
  assert.match(cross.body, /<meta http-equiv="refresh" content="0;url=\/\?x=1">/);
  assert.ok(!cross.body.includes(server.token));
  const c = { Cookie: `${cookieName(server.port)}=${server.token}` };
  const page = await get(server, '/', c);
  assert.equal(page.status, 200);
  assert.match(page.body, /assets\/app\.js/);
  const csp = String(page.headers['content-security-policy']);
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /style-src 'self'/);
  assert.match(csp, new RegExp(`connect-src 'self' ws://127\\.0\\.0\\.1:${server.port}`));
  assert.match(csp, /object-src 'none'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  assert.equal(page.headers['x-frame-options'], 'DENY');
  const js = await get(server, '/assets/app.js', c);
  assert.equal(js.status, 200);
  assert.match(String(js.headers['content-type']), /javascript/);
  assert.equal((await get(server, '/assets/missing.js', c)).status, 404);
  assert.equal((await get(server, '/.secret', c)).status, 404);
  const traversal = await get(server, '/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd', c);
  assert.doesNotMatch(traversal.body, /root:/, 'no path traversal');
  assert.equal((await get(server, '/..%2f..%2f..%2f..%2f..%2fetc%2fos-release.txt', c)).status, 404);
  assert.equal((await get(server, '/some/route', c)).status, 200, 'client routes fall back to index.html');
  assert.equal((await get(server, '/', c, 'POST')).status, 405);
});

test('without a built dashboard the server says to run npm run build', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const { server } = await setup(t, path.join(dir, 'nothing-here'));
  const page = await get(server, '/', { Authorization: `Bearer ${server.token}` });
  assert.equal(page.status, 200);
  assert.match(page.body, /npm run build/);
});

test('the contract works end to end over the WebSocket (commands, errors, events)', async (t) => {
  const { server } = await setup(t);
  const remote = await connectRemote(server.origin, server.token);
  t.after(() => remote.close());
  const states: string[] = [];
  remote.on('state', (s) => states.push(s.apps.map((a) => a.definition.id).join(',')));
  const logs: string[] = [];
  remote.on('log', (e) => logs.push(e.message));
  const snapshots: number[] = [];
  remote.on('snapshot', (s) => snapshots.push(s.t));

  const state = await remote.invoke('getState', {});
  assert.equal(state.platform.cores > 0, true);
  const app = await remote.invoke('addApp', { name: 'Remote app', command: 'sleep', shares: { ...zeroShares, cpu: 0.1 } });
  assert.equal(app.definition.id, 'remote-app');
  await assert.rejects(remote.invoke('setOwnerLimits', { limits: { cpu: 0.05 } }), (e: unknown) => e instanceof CommandError && e.code === 'sharesExceedCap');
  await assert.rejects(remote.invoke('setOwnerLimits', { limits: { cpu: 7 } }), (e: unknown) => e instanceof CommandError && e.code === 'invalid');
  await assert.rejects(remote.invoke('nope' as 'getState', {}), (e: unknown) => e instanceof CommandError && e.code === 'invalid');
  const paused = await remote.invoke('pauseAll', { durationMs: 60_000 });
  assert.ok(paused.pause);
  const resumed = await remote.invoke('resumeAll', {});
  assert.equal(resumed.pause, null);
  await new Promise((r) => setTimeout(r, 1200));
  assert.ok(states.includes('remote-app'), 'state events arrive');
  assert.ok(logs.some((m) => m.includes('Remote app')), 'log events arrive (they name the app as the owner does)');
  assert.ok(snapshots.length >= 1, 'snapshot events arrive (2 Hz)');
  assert.equal((await remote.invoke('getEventLog', { sinceSeq: 0 })).length > 0, true);
});

test('malformed frames get an error, not a crash', async (t) => {
  const { server } = await setup(t);
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers: { Authorization: `Bearer ${server.token}` } });
  await new Promise((r) => ws.once('open', r));
  const replies: { id?: number; ok?: boolean; error?: { code: string } }[] = [];
  ws.on('message', (m) => {
    const msg = JSON.parse(m.toString());
    if ('id' in msg) replies.push(msg);
  });
  ws.send('not json');
  ws.send(JSON.stringify({ id: 5, cmd: 'getState', args: { extra: 1 } }));
  ws.send(JSON.stringify({ id: 6, cmd: 'getState' }));
  await new Promise((r) => setTimeout(r, 300));
  ws.close();
  assert.deepEqual(replies.map((r) => [r.id, r.ok, r.error?.code]), [[0, false, 'invalid'], [5, false, 'invalid'], [6, true, undefined]]);
});

test('a real app over the WebSocket: start, terminal output and input, stop', async (t) => {
  requireHelper();
  const { server } = await setup(t);
  const remote = await connectRemote(server.origin, server.token);
  t.after(() => remote.close());
  let out = '';
  remote.on('terminalData', (d) => {
    if (d.id === 'echo') out += d.data;
  });
  await remote.invoke('addApp', { name: 'echo', command: 'sh', args: ['-c', 'echo ready-over-ws; read x; echo "got:$x"; sleep 30'] });
  const started = await remote.invoke('startApp', { id: 'echo' });
  assert.equal(started.state, 'running');
  await until(() => out.includes('ready-over-ws'), 10_000, 'output over the WebSocket');
  await remote.invoke('writeTerminal', { id: 'echo', data: 'typed\r' });
  await until(() => out.includes('got:typed'), 10_000, 'input echoed');
  assert.match(await remote.invoke('getTerminalBacklog', { id: 'echo' }), /ready-over-ws/);
  const stopped = await remote.invoke('stopApp', { id: 'echo' });
  assert.equal(stopped.state, 'stopped');
});
