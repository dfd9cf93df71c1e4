// The bridge's WebSocket client against a small real WebSocket server speaking the
// contract's wire format: requests, events, errors, loss and reconnection, a refused
// token, and the store the bridge writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { WsTransport, wsUrlFromLocation, type WebSocketLike } from '../../renderer/src/bridge/ws.js';
import { Bridge } from '../../renderer/src/bridge/index.js';
import { errorMessage, type ConnectionInfo } from '../../renderer/src/bridge/transport.js';
import { createAppStore } from '../../renderer/src/store/store.js';
import { appView, fullState, logEntry, snapshot } from './fixtures.js';

type Handler = (msg: { id: number; cmd: string; args: unknown }, ws: WebSocket) => unknown;

/** A contract server: answers with `handler`'s result (or its thrown {code,message}). */
async function contractServer(handler: Handler) {
  const server = http.createServer((_req, res) => {
    res.writeHead(state.refuse ? 401 : 200);
    res.end();
  });
  const wss = new WebSocketServer({ noServer: true });
  const state = { refuse: false, connections: 0, clients: new Set<WebSocket>(), received: [] as string[] };
  server.on('upgrade', (req, socket, head) => {
    if (state.refuse) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      state.connections++;
      state.clients.add(ws);
      ws.on('close', () => state.clients.delete(ws));
      ws.on('message', async (raw) => {
        const msg = JSON.parse(raw.toString()) as { id: number; cmd: string; args: unknown };
        state.received.push(msg.cmd);
        try {
          const result = await handler(msg, ws);
          ws.send(JSON.stringify({ id: msg.id, ok: true, result: result ?? null }));
        } catch (error) {
          const e = error as { code?: string; message: string };
          ws.send(JSON.stringify({ id: msg.id, ok: false, error: { code: e.code ?? 'internal', message: e.message } }));
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    httpUrl: `http://127.0.0.1:${port}/`,
    state,
    emit(event: string, payload: unknown) {
      for (const ws of state.clients) ws.send(JSON.stringify({ event, payload }));
    },
    dropAll(code = 1006) {
      for (const ws of state.clients) {
        if (code === 1006) ws.terminate();
        else ws.close(code, 'bye');
      }
    },
    async close() {
      for (const ws of state.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const createSocket = (url: string) => new WebSocket(url) as unknown as WebSocketLike;

function statuses(transport: WsTransport) {
  const seen: ConnectionInfo[] = [];
  transport.onConnection((info) => seen.push(info));
  return {
    seen,
    async until(status: ConnectionInfo['status'], timeoutMs = 5000): Promise<ConnectionInfo> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const last = seen[seen.length - 1];
        if (last?.status === status) return last;
        if (Date.now() > deadline) throw new Error(`no "${status}" within ${timeoutMs} ms; saw ${seen.map((s) => s.status).join(' → ')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

async function eventually(check: () => boolean, what: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('requests get their answers, errors keep their code, events reach listeners', async (t) => {
  const server = await contractServer((msg) => {
    if (msg.cmd === 'getState') return fullState([]);
    if (msg.cmd === 'removeApp') throw { code: 'notFound', message: 'no app "x"' };
    return null;
  });
  const transport = new WsTransport({ url: server.url, createSocket, retryDelays: [50] });
  t.after(async () => {
    transport.close();
    await server.close();
  });
  await assert.rejects(transport.invoke('getState', {}), (e: Error & { code?: string }) => e.code === 'unavailable', 'before open: fails at once');
  const watch = statuses(transport);
  await watch.until('open');
  const state = await transport.invoke('getState', {});
  assert.equal(state.version, '0.1.0');
  await assert.rejects(transport.invoke('removeApp', { id: 'x' }), (e: Error & { code?: string }) => e.code === 'notFound' && errorMessage(e) === 'no app "x"');
  const got: number[] = [];
  const off = transport.on('snapshot', (s) => got.push(s.t));
  server.emit('snapshot', snapshot(42, {}));
  await eventually(() => got.length === 1, 'the snapshot event');
  off();
  server.emit('snapshot', snapshot(43, {}));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(got, [42], 'unsubscribed listeners hear nothing');
});

test('after a loss: pending requests fail, the status says so, and it reconnects', async (t) => {
  let stall = false;
  const server = await contractServer(async () => {
    if (stall) await new Promise(() => {}); // never answers
    return null;
  });
  const transport = new WsTransport({ url: server.url, createSocket, retryDelays: [100, 200] });
  t.after(async () => {
    transport.close();
    await server.close();
  });
  const watch = statuses(transport);
  await watch.until('open');
  stall = true;
  const pending = transport.invoke('getState', {});
  await eventually(() => server.state.received.length === 1, 'the request to arrive');
  server.dropAll();
  await assert.rejects(pending, (e: Error & { code?: string }) => e.code === 'unavailable');
  const lost = await watch.until('reconnecting');
  assert.equal(lost.attempt, 1);
  assert.ok(lost.retryAt !== null && lost.detail !== null);
  stall = false;
  await watch.until('open');
  assert.equal(server.state.connections, 2);
  assert.equal(await transport.invoke('getState', {}), null);
});

test('a refused token stops the retries and says so', async (t) => {
  const server = await contractServer(() => null);
  server.state.refuse = true;
  let probes = 0;
  const transport = new WsTransport({
    url: server.url,
    createSocket,
    retryDelays: [50],
    probeUnauthorized: async () => {
      probes++;
      return (await fetch(server.httpUrl)).status === 401;
    },
  });
  t.after(async () => {
    transport.close();
    await server.close();
  });
  const watch = statuses(transport);
  const info = await watch.until('unauthorized');
  assert.match(info.detail ?? '', /token/);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(probes, 1, 'no more attempts after a refusal');
  assert.equal(server.state.connections, 0);
});

test('a server that closes with 4401 is a refusal too; an unreachable one is retried', async (t) => {
  const server = await contractServer(() => null);
  const transport = new WsTransport({ url: server.url, createSocket, retryDelays: [50] });
  t.after(async () => {
    transport.close();
    await server.close();
  });
  const watch = statuses(transport);
  await watch.until('open');
  server.dropAll(4401);
  await watch.until('unauthorized');

  const nowhere = new WsTransport({ url: 'ws://127.0.0.1:9/ws', createSocket, retryDelays: [30], probeUnauthorized: async () => false });
  t.after(() => nowhere.close());
  const w2 = statuses(nowhere);
  await eventually(() => w2.seen.filter((s) => s.status === 'reconnecting').length >= 2, 'two retries');
  assert.match(w2.seen[w2.seen.length - 1]!.detail ?? '', /cannot be reached/);
});

test('the bridge loads the state on every connection and writes the store', async (t) => {
  let apps = [appView('a', { cpu: 0.1 })];
  const sinceSeqs: number[] = [];
  const server = await contractServer((msg) => {
    switch (msg.cmd) {
      case 'getState':
        return fullState(apps);
      case 'getHistory':
        return [snapshot(1000, { a: 0.05 }), snapshot(1500, { a: 0.07 })];
      case 'getEventLog':
        sinceSeqs.push((msg.args as { sinceSeq: number }).sinceSeq);
        return (msg.args as { sinceSeq: number }).sinceSeq === 0 ? [logEntry(1), logEntry(2)] : [logEntry(6)];
      case 'updateApp':
        return appView('a', { cpu: 0.3 });
      case 'pauseAll':
        return fullState(apps, { pause: { since: 1, until: 99 } });
      default:
        return null;
    }
  });
  const store = createAppStore();
  const bridge = new Bridge(new WsTransport({ url: server.url, createSocket, retryDelays: [50] }), store);
  t.after(async () => {
    bridge.close();
    await server.close();
  });
  const s = () => store.getState();
  await eventually(() => s().loaded && s().history.length === 2 && s().events.length === 2, 'the first load');
  assert.equal(s().connection.status, 'open');
  assert.equal(s().transportKind, 'websocket');
  assert.deepEqual(s().appIds, ['a']);

  server.emit('snapshot', snapshot(2000, { a: 0.09 }));
  server.emit('log', logEntry(5, 'crash'));
  apps = [appView('a', { cpu: 0.1 }), appView('b')];
  server.emit('state', fullState(apps));
  await eventually(() => s().latest?.t === 2000 && s().lastSeq === 5 && s().appIds.length === 2, 'the events');

  await bridge.updateApp('a', { shares: { cpu: 0.3, netUp: 0, netDown: 0, disk: 0, mem: 0 } });
  assert.equal(s().apps.a!.definition.shares.cpu, 0.3, 'a command result is applied at once');
  await bridge.pauseAll(60_000);
  assert.deepEqual(s().pause, { since: 1, until: 99 });

  const loads = server.state.received.filter((c) => c === 'getState').length;
  server.dropAll();
  await eventually(() => s().connection.status === 'reconnecting', 'the loss to show');
  await eventually(() => server.state.received.filter((c) => c === 'getState').length === loads + 1 && s().connection.status === 'open', 'the reload');
  await eventually(() => s().events.some((e) => e.seq === 6), 'the log since the last seq');
  assert.deepEqual(sinceSeqs, [0, 5], 'after a reconnection only what is new is asked for');
});

test('a terminal shows its backlog once, then live output, and again after a reconnection', async (t) => {
  let backlog = 'old output\r\n';
  let answerBacklog: (() => void) | null = null;
  const server = await contractServer(async (msg) => {
    if (msg.cmd === 'getTerminalBacklog') {
      // Output produced while the backlog is on its way is part of the backlog.
      server.emit('terminalData', { id: 'a', data: 'racing\r\n' });
      backlog += 'racing\r\n';
      await new Promise<void>((resolve) => (answerBacklog = resolve));
      return backlog;
    }
    if (msg.cmd === 'getState') return fullState([appView('a')]);
    if (msg.cmd === 'getHistory' || msg.cmd === 'getEventLog') return [];
    return null;
  });
  const store = createAppStore();
  const bridge = new Bridge(new WsTransport({ url: server.url, createSocket, retryDelays: [50] }), store);
  t.after(async () => {
    bridge.close();
    await server.close();
  });
  await eventually(() => store.getState().connection.status === 'open', 'open');
  const screen: string[] = [];
  const stop = bridge.followTerminal('a', (data, reset) => {
    if (reset) screen.length = 0;
    screen.push(data);
  });
  await eventually(() => answerBacklog !== null, 'the backlog request');
  answerBacklog!();
  await eventually(() => screen.length === 1, 'the backlog');
  assert.deepEqual(screen, ['old output\r\nracing\r\n'], 'output already in the backlog is not shown twice');
  server.emit('terminalData', { id: 'a', data: 'live\r\n' });
  server.emit('terminalData', { id: 'other', data: 'not mine\r\n' });
  await eventually(() => screen.length === 2, 'live output');
  assert.equal(screen[1], 'live\r\n');

  answerBacklog = null;
  server.dropAll();
  await eventually(() => answerBacklog !== null, 'the backlog asked again after reconnecting');
  answerBacklog!();
  await eventually(() => screen.length === 1 && screen[0]!.endsWith('racing\r\n'), 'the screen reset to the backlog');
  stop();
  server.emit('terminalData', { id: 'a', data: 'after stop\r\n' });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(screen.length, 1);
});

test('the WebSocket address comes from the page: same host, /ws, the token if present', () => {
  assert.deepEqual(wsUrlFromLocation({ protocol: 'http:', host: '127.0.0.1:4000', search: '?token=abc' }), { url: 'ws://127.0.0.1:4000/ws?token=abc', token: 'abc' });
  assert.deepEqual(wsUrlFromLocation({ protocol: 'http:', host: '127.0.0.1:4000', search: '' }), { url: 'ws://127.0.0.1:4000/ws', token: null });
  assert.equal(wsUrlFromLocation({ protocol: 'https:', host: 'h:1', search: '' }).url, 'wss://h:1/ws');
});
