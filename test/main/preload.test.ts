import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import vm from 'node:vm';
import { COMMAND_NAMES, CommandError, IPC_EVENT_CHANNEL, type InterceptorApi } from '../../electron/common/contract.js';
import { createInterceptorApi, type IpcRendererLike, type PreloadApi } from '../../electron/preload/bridge.js';

// Compile-time: the exposed API's type is derived from the implementation and is an InterceptorApi.
const _typeCheck: InterceptorApi = null as unknown as PreloadApi;
void _typeCheck;

function mockIpc(reply: (channel: string, args: unknown) => unknown = () => ({ ok: true, result: 'R' })) {
  const invoked: Array<[string, unknown[]]> = [];
  const listeners = new Map<string, Set<(e: unknown, ...a: unknown[]) => void>>();
  const ipc: IpcRendererLike = {
    async invoke(channel, ...args) {
      invoked.push([channel, args]);
      return reply(channel, args[0]);
    },
    on(channel, fn) {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(fn);
    },
    removeListener(channel, fn) {
      listeners.get(channel)?.delete(fn);
    },
  };
  const emit = (message: unknown) => {
    for (const fn of listeners.get(IPC_EVENT_CHANNEL) ?? []) fn({ sender: 'secret' }, message);
  };
  return { ipc, invoked, listeners, emit };
}

describe('preload bridge', () => {
  it('forwards known commands on prefixed channels and unwraps replies', async () => {
    const { ipc, invoked } = mockIpc();
    const api = createInterceptorApi(ipc);
    for (const name of COMMAND_NAMES) assert.equal(await api.invoke(name, {} as never), 'R');
    assert.deepEqual(
      invoked.map(([c]) => c),
      COMMAND_NAMES.map((n) => `interceptor:${n}`),
    );
    await api.invoke('pauseAll', { durationMs: 900_000 });
    assert.deepEqual(invoked.at(-1), ['interceptor:pauseAll', [{ durationMs: 900_000 }]]);
  });

  it('never forwards unknown commands', async () => {
    const { ipc, invoked } = mockIpc();
    const api = createInterceptorApi(ipc);
    for (const bad of ['event', 'constructor', '__proto__', 'toString', '../getState', 'getState ', 42, null]) {
      await assert.rejects(api.invoke(bad as never, {} as never), (e: unknown) => e instanceof CommandError && e.code === 'invalid');
    }
    assert.equal(invoked.length, 0);
  });

  it('rejects with the code first in the message (contextBridge keeps only the message)', async () => {
    const { ipc } = mockIpc(() => ({ ok: false, error: { code: 'notFound', message: 'no app "x"' } }));
    const api = createInterceptorApi(ipc);
    await assert.rejects(api.invoke('startApp', { id: 'x' }), (e: unknown) => e instanceof CommandError && e.code === 'notFound' && e.message === 'notFound: no app "x"');
    const broken = createInterceptorApi(mockIpc(() => 'garbage').ipc);
    await assert.rejects(broken.invoke('getState', {}), (e: unknown) => e instanceof CommandError && e.code === 'internal');
    const badCode = createInterceptorApi(mockIpc(() => ({ ok: false, error: { code: 'pwned', message: 'x' } })).ipc);
    await assert.rejects(badCode.invoke('getState', {}), (e: unknown) => e instanceof CommandError && e.code === 'internal');
  });

  it('delivers only known events, without the IPC event object, and unsubscribes', () => {
    const { ipc, listeners, emit } = mockIpc();
    const api = createInterceptorApi(ipc);
    const got: unknown[][] = [];
    const off = api.on('log', (...args: unknown[]) => got.push(args));
    const offState = api.on('state', () => got.push(['state']));
    assert.equal(listeners.get(IPC_EVENT_CHANNEL)!.size, 1, 'one IPC listener for all');
    emit({ event: 'log', payload: { seq: 1 } });
    emit({ event: 'nope', payload: 1 });
    emit({ event: '__proto__', payload: 1 });
    emit(null);
    emit('log');
    assert.deepEqual(got, [[{ seq: 1 }]]);
    off();
    off();
    emit({ event: 'log', payload: { seq: 2 } });
    assert.equal(got.length, 1);
    offState();
    assert.equal(listeners.get(IPC_EVENT_CHANNEL)!.size, 0, 'IPC listener removed with the last subscriber');
    assert.throws(() => api.on('bogus' as never, () => {}), CommandError);
    assert.throws(() => api.on('log', 'not a function' as never), CommandError);
  });

  it('a throwing listener does not stop the others', () => {
    const { ipc, emit } = mockIpc();
    const api = createInterceptorApi(ipc);
    const seen: string[] = [];
    const origError = console.error;
    console.error = () => {};
    try {
      api.on('snapshot', () => {
        throw new Error('bad listener');
      });
      api.on('snapshot', () => seen.push('second'));
      emit({ event: 'snapshot', payload: {} });
    } finally {
      console.error = origError;
    }
    assert.deepEqual(seen, ['second']);
  });
});

describe('bundled preload (esbuild, CommonJS, as the sandbox loads it)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'interceptor-preload-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('requires only electron and exposes exactly window.interceptor {invoke, on}', async () => {
    const out = path.join(dir, 'preload.cjs');
    const esbuild = path.resolve('node_modules/.bin/esbuild');
    const r = spawnSync(esbuild, ['electron/preload/preload.ts', '--bundle', '--platform=node', '--format=cjs', '--external:electron', `--outfile=${out}`, '--log-level=warning'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const code = readFileSync(out, 'utf8');
    const required: string[] = [];
    const exposed: Record<string, unknown> = {};
    const { ipc, invoked } = mockIpc();
    const electron = {
      contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (exposed[key] = value) },
      ipcRenderer: ipc,
    };
    const sandboxRequire = (id: string) => {
      required.push(id);
      if (id === 'electron') return electron;
      throw new Error(`a sandboxed preload cannot require "${id}"`);
    };
    const module = { exports: {} };
    vm.runInNewContext(code, { require: sandboxRequire, module, exports: module.exports, console, Promise, Error, Map, Set, Object, Array, JSON, Symbol });
    assert.deepEqual([...new Set(required)], ['electron']);
    assert.deepEqual(Object.keys(exposed), ['interceptor']);
    const api = exposed.interceptor as InterceptorApi;
    assert.deepEqual(Object.keys(api).sort(), ['invoke', 'on']);
    assert.equal(await api.invoke('getState', {}), 'R');
    assert.deepEqual(invoked, [['interceptor:getState', [{}]]]);
  });
});
