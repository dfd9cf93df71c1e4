import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMAND_NAMES, CommandError, IPC_EVENT_CHANNEL, IPC_PREFIX, type CommandName } from '../../electron/common/contract.js';
import { commandChannel, createSenderCheck, forwardEngineEvents, registerIpcHandlers, type IpcHandler, type SenderEvent } from '../../electron/main/ipc-handlers.js';
import type { IpcReply } from '../../electron/main/ipc-protocol.js';
import { DASHBOARD_URL, dashboardOrigin } from '../../electron/main/window-security.js';

/** Valid arguments for every command, and invalid ones the schema must refuse. */
const VALID: Record<CommandName, unknown> = {
  getState: {},
  setOwnerLimits: { limits: { cpu: 0.5 } },
  addApp: { name: 'Transmission', command: '/usr/bin/transmission-daemon', args: ['-f'] },
  updateApp: { id: 'transmission', patch: { name: 'T' } },
  removeApp: { id: 'transmission' },
  startApp: { id: 'transmission' },
  stopApp: { id: 'transmission' },
  restartApp: { id: 'transmission' },
  pauseApp: { id: 'transmission' },
  resumeApp: { id: 'transmission' },
  pauseAll: { durationMs: 900_000 },
  resumeAll: {},
  setProfile: { profile: 'auto' },
  updateSettings: { onQuit: 'leaveRunning' },
  setSchedule: { enabled: true },
  setStartAtLogin: { enabled: true },
  writeTerminal: { id: 'transmission', data: 'q\n' },
  resizeTerminal: { id: 'transmission', cols: 80, rows: 24 },
  getTerminalBacklog: { id: 'transmission' },
  getHistory: { seconds: 60 },
  getEventLog: { sinceSeq: 0 },
  getUsage: { range: '24h', appId: 'transmission' },
  getEvents: { appId: 'transmission', kinds: ['crash', 'limitHit'], from: 0, limit: 100 },
  checkExecutable: { command: '/bin/sh' },
  setCapacity: { resource: 'netUp', bytesPerSec: 12.5e6 },
  measureCapacity: { resource: 'disk' },
  attachApp: { id: 'transmission' },
  listUnits: {},
  adoptUnit: { name: 'transmission-daemon.service', scope: 'system', shares: { netUp: 1e6 }, engineDown: 'hold' },
  releaseUnit: { name: 'syncthing@alice.service', scope: 'user' },
  getQuotas: {},
  setQuotas: { resetDay: 15, rules: [{ appId: null, period: 'month', direction: 'both', bytes: 50e9, action: 'pause' }] },
};
const INVALID: Record<CommandName, unknown[]> = {
  getState: [{ x: 1 }, 'string', 42],
  setOwnerLimits: [{ limits: { cpu: 2 } }, { limits: { gpu: 1 } }, { profile: 'night', limits: {} }],
  addApp: [{ name: '', command: '/bin/true' }, { name: 'x', command: 'a\0b' }, { name: 'x' }],
  updateApp: [{ id: '../etc', patch: {} }, { id: 'a', patch: { id: 'b' } }],
  removeApp: [{ id: 'UPPER' }, {}, { id: 1 }],
  startApp: [{ id: '' }, null as unknown],
  stopApp: [{ id: 'a b' }],
  restartApp: [{ id: '-x' }],
  pauseApp: [{ id: 'a'.repeat(65) }],
  resumeApp: [{ id: 'ok', extra: true }],
  pauseAll: [{ durationMs: -1 }, { durationMs: 1.5 }, { durationMs: 31 * 24 * 3600 * 1000 }, {}],
  resumeAll: [{ now: true }],
  setProfile: [{ profile: 'turbo' }, {}],
  updateSettings: [{ idleThresholdSeconds: 1 }, { onQuit: 'explode' }, { unknown: 1 }],
  setSchedule: [{}, { slots: ['auto'] }, { enabled: 'yes' }],
  setStartAtLogin: [{}, { enabled: 'yes' }, { enabled: true, how: 'x' }],
  writeTerminal: [{ id: 'a', data: 'x'.repeat(64 * 1024 + 1) }, { id: 'a', data: 5 }],
  resizeTerminal: [{ id: 'a', cols: 1, rows: 24 }, { id: 'a', cols: 80, rows: 100000 }],
  getTerminalBacklog: [{}],
  getHistory: [{ seconds: 0 }, { seconds: 3601 }],
  getEventLog: [{ sinceSeq: -1 }],
  getUsage: [{ range: '2h' }, {}, { range: '1h', appId: '../x' }],
  getEvents: [{ limit: 0 }, { kinds: [] }, { kinds: ['boom'] }, { to: -5 }, { limit: 5001 }],
  checkExecutable: [{ command: '' }, { command: 'x'.repeat(5000) }],
  setCapacity: [{ resource: 'cpu', bytesPerSec: 1 }, { resource: 'netUp', bytesPerSec: -1 }, { resource: 'disk', bytesPerSec: Number.NaN }, { resource: 'disk', bytesPerSec: 2e15 }, { resource: 'disk' }],
  measureCapacity: [{ resource: 'netUp' }, {}, { resource: 'disk', size: 1 }],
  attachApp: [{}, { id: 'A' }],
  listUnits: [{ scope: 'user' }],
  adoptUnit: [{ name: 'tor.socket', scope: 'system' }, { name: '../x.service', scope: 'user' }, { name: 'tor.service', scope: 'root' }, { name: 'tor.service', scope: 'user', engineDown: 'kill' }, { name: 'tor.service', scope: 'user', shares: { cpu: 2 } }],
  releaseUnit: [{ name: 'tor.service' }, { name: 'a b.service', scope: 'user' }],
  getQuotas: [{ x: 1 }],
  setQuotas: [{ resetDay: 31 }, { rules: [{ appId: null, period: 'week', direction: 'up', bytes: 1, action: 'pause' }] }, { other: 1 }],
};

function mockIpcMain() {
  const handlers = new Map<string, IpcHandler>();
  return {
    handlers,
    handle(channel: string, fn: IpcHandler) {
      assert.ok(!handlers.has(channel), `duplicate handler ${channel}`);
      handlers.set(channel, fn);
    },
    removeHandler(channel: string) {
      handlers.delete(channel);
    },
  };
}

function mockEngine() {
  const calls: Array<{ name: string; args: unknown }> = [];
  return {
    calls,
    async invoke(name: CommandName, args: unknown) {
      calls.push({ name, args });
      if ((args as { id?: string }).id === 'missing') throw new CommandError('notFound', 'no app "missing"');
      if (name === 'checkExecutable') throw new Error('boom');
      return { echoed: name } as never;
    },
  };
}

const origin = dashboardOrigin({ isPackaged: true });
const WC_ID = 7;
function event(opts: { id?: number; url?: string; frame?: 'main' | 'sub' | 'none' } = {}): SenderEvent {
  const sender = { id: opts.id ?? WC_ID };
  const frame = opts.frame === 'none' ? null : { url: opts.url ?? DASHBOARD_URL, parent: opts.frame === 'sub' ? {} : null };
  return { sender, senderFrame: frame } as unknown as SenderEvent;
}
const check = createSenderCheck({ getWebContentsId: () => WC_ID, origin });

describe('ipc handlers', () => {
  it('registers one prefixed handler per command and removes them all', () => {
    const ipc = mockIpcMain();
    const dispose = registerIpcHandlers({ ipcMain: ipc, engine: mockEngine(), isTrustedSender: check });
    assert.deepEqual([...ipc.handlers.keys()].sort(), COMMAND_NAMES.map((n) => `${IPC_PREFIX}${n}`).sort());
    assert.equal(commandChannel('getState'), 'interceptor:getState');
    dispose();
    assert.equal(ipc.handlers.size, 0);
  });

  it('sender check: our window, main frame, dashboard URL only', () => {
    assert.equal(check(event()), true);
    assert.equal(check(event({ id: 8 })), false, 'another webContents');
    assert.equal(check(event({ frame: 'sub' })), false, 'an iframe');
    assert.equal(check(event({ frame: 'none' })), false, 'a destroyed frame');
    assert.equal(check(event({ url: 'https://evil.example/' })), false, 'a foreign page');
    assert.equal(check(event({ url: 'file:///tmp/x.html' })), false, 'a local file');
    const noWindow = createSenderCheck({ getWebContentsId: () => null, origin });
    assert.equal(noWindow(event()), false, 'no window yet');
  });

  for (const name of COMMAND_NAMES) {
    it(`${name}: rejects untrusted senders, validates every argument, forwards valid calls`, async () => {
      const ipc = mockIpcMain();
      const engine = mockEngine();
      registerIpcHandlers({ ipcMain: ipc, engine, isTrustedSender: check });
      const handler = ipc.handlers.get(`${IPC_PREFIX}${name}`)!;

      for (const bad of [event({ id: 99 }), event({ url: 'https://evil.example/' }), event({ frame: 'sub' }), event({ frame: 'none' })]) {
        const reply = (await handler(bad as never, VALID[name])) as IpcReply;
        assert.equal(reply.ok, false);
        assert.equal(!reply.ok && reply.error.code, 'unauthorized');
      }
      for (const args of INVALID[name]) {
        const reply = (await handler(event() as never, args)) as IpcReply;
        assert.equal(reply.ok, false, `${name} accepted ${JSON.stringify(args)?.slice(0, 80)}`);
        assert.equal(!reply.ok && reply.error.code, 'invalid');
      }
      const extra = (await handler(event() as never, VALID[name], { more: 1 })) as IpcReply;
      assert.equal(!extra.ok && extra.error.code, 'invalid');
      assert.equal(engine.calls.length, 0, 'nothing reached the engine');

      const reply = (await handler(event() as never, VALID[name])) as IpcReply;
      if (name === 'checkExecutable') {
        assert.deepEqual(reply, { ok: false, error: { code: 'internal', message: 'boom' } });
      } else {
        assert.deepEqual(reply, { ok: true, result: { echoed: name } });
      }
      assert.equal(engine.calls.length, 1);
      assert.equal(engine.calls[0]!.name, name);
    });
  }

  it('passes parsed (defaulted) arguments and keeps CommandError codes', async () => {
    const ipc = mockIpcMain();
    const engine = mockEngine();
    registerIpcHandlers({ ipcMain: ipc, engine, isTrustedSender: check });
    await ipc.handlers.get('interceptor:getEventLog')!(event() as never, {});
    assert.deepEqual(engine.calls[0]!.args, { sinceSeq: 0 });
    await ipc.handlers.get('interceptor:getState')!(event() as never, undefined);
    assert.deepEqual(engine.calls[1]!.args, {});
    const reply = (await ipc.handlers.get('interceptor:startApp')!(event() as never, { id: 'missing' })) as IpcReply;
    assert.deepEqual(reply, { ok: false, error: { code: 'notFound', message: 'no app "missing"' } });
  });

  it('forwards every engine event to the window and unsubscribes', () => {
    const listeners = new Map<string, (p: unknown) => void>();
    const engine = {
      on(event: string, fn: (p: unknown) => void) {
        listeners.set(event, fn);
        return () => listeners.delete(event);
      },
    };
    const sent: Array<[string, unknown]> = [];
    const off = forwardEngineEvents(engine as never, (channel, message) => sent.push([channel, message]));
    assert.deepEqual([...listeners.keys()].sort(), ['log', 'snapshot', 'state', 'terminalData']);
    listeners.get('terminalData')!({ id: 'a', data: 'hi' });
    assert.deepEqual(sent, [[IPC_EVENT_CHANNEL, { event: 'terminalData', payload: { id: 'a', data: 'hi' } }]]);
    off();
    assert.equal(listeners.size, 0);
  });
});
