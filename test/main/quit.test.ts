import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QuitController, shutdownOptionsForCrash, shutdownOptionsForQuit } from '../../electron/main/quit.js';

const flush = () => new Promise((r) => setImmediate(r));
const ev = () => ({ prevented: false, preventDefault() { this.prevented = true; } });

function setup(opts: { onQuit?: 'stop' | 'leaveRunning'; onEngineLoss?: 'terminate' | 'continue'; shutdown?: 'ok' | 'hang' | 'throw' } = {}) {
  const calls: string[] = [];
  const shutdowns: unknown[] = [];
  const timers: Array<() => void> = [];
  let releaseShutdown: () => void = () => {};
  const engine = {
    shutdown: (o?: { leaveRunning?: boolean }) => {
      shutdowns.push(o);
      if (opts.shutdown === 'throw') return Promise.reject(new Error('helper gone'));
      if (opts.shutdown === 'hang') return new Promise<void>(() => {});
      return new Promise<void>((r) => (releaseShutdown = r));
    },
  };
  const ref: { controller?: QuitController } = {};
  const app = {
    quit() {
      calls.push('quit');
      // Electron emits before-quit synchronously from app.quit().
      const e = ev();
      ref.controller!.onBeforeQuit(e);
      if (!e.prevented) calls.push('exited');
    },
    exit(code?: number) {
      calls.push(`exit(${code})`);
    },
  };
  const controller = new QuitController({
    app,
    engine,
    getSettings: () => ({ onQuit: opts.onQuit ?? 'stop', onEngineLoss: opts.onEngineLoss ?? 'terminate' }),
    setTimer: (cb) => {
      timers.push(cb);
      return { cancel: () => timers.splice(timers.indexOf(cb), 1) };
    },
  });
  ref.controller = controller;
  return { controller, calls, shutdowns, timers, release: () => releaseShutdown(), app };
}

describe('quit', () => {
  it('maps the settings', () => {
    assert.deepEqual(shutdownOptionsForQuit({ onQuit: 'stop' }), { leaveRunning: false });
    assert.deepEqual(shutdownOptionsForQuit({ onQuit: 'leaveRunning' }), { leaveRunning: true });
    assert.deepEqual(shutdownOptionsForQuit(null), { leaveRunning: false });
    assert.deepEqual(shutdownOptionsForCrash({ onEngineLoss: 'continue' }), { leaveRunning: true });
    assert.deepEqual(shutdownOptionsForCrash({ onEngineLoss: 'terminate' }), { leaveRunning: false });
  });

  it('closing the window hides it to the tray; after quit starts, it closes', () => {
    const { controller, app } = setup();
    const e = ev();
    let hidden = 0;
    assert.equal(controller.onWindowClose(e, () => hidden++), true);
    assert.equal(e.prevented, true);
    assert.equal(hidden, 1);
    app.quit();
    const e2 = ev();
    assert.equal(controller.onWindowClose(e2, () => hidden++), false);
    assert.equal(e2.prevented, false);
    assert.equal(hidden, 1);
  });

  for (const onQuit of ['stop', 'leaveRunning'] as const) {
    it(`quit waits for the engine to ${onQuit === 'stop' ? 'stop' : 'release'} the apps, then quits once`, async () => {
      const { controller, calls, shutdowns, release } = setup({ onQuit });
      controller.requestQuit();
      assert.deepEqual(calls, ['quit'], 'held while the engine shuts down');
      assert.deepEqual(shutdowns, [{ leaveRunning: onQuit === 'leaveRunning' }]);
      controller.requestQuit(); // a second Quit click does nothing more
      const again = ev();
      controller.onBeforeQuit(again); // nor does a second before-quit
      assert.equal(again.prevented, true);
      assert.equal(shutdowns.length, 1);
      release();
      await flush();
      assert.deepEqual(calls, ['quit', 'quit', 'exited']);
    });
  }

  it('a hung engine does not keep Interceptor alive: quit after the timeout', async () => {
    const { controller, calls, timers } = setup({ shutdown: 'hang' });
    controller.requestQuit();
    await flush();
    assert.deepEqual(calls, ['quit']);
    assert.equal(timers.length, 1);
    timers[0]!();
    await flush();
    assert.deepEqual(calls, ['quit', 'quit', 'exited']);
  });

  it('a failing shutdown still quits', async () => {
    const { controller, calls } = setup({ shutdown: 'throw' });
    controller.requestQuit();
    await flush();
    assert.deepEqual(calls, ['quit', 'quit', 'exited']);
  });

  it('a crash releases the apps per onEngineLoss and exits with 1', async () => {
    for (const onEngineLoss of ['terminate', 'continue'] as const) {
      const { controller, calls, shutdowns, release } = setup({ onEngineLoss, onQuit: 'stop' });
      const done = controller.onFatalError(new Error('bug'));
      assert.deepEqual(shutdowns, [{ leaveRunning: onEngineLoss === 'continue' }]);
      release();
      await done;
      assert.deepEqual(calls, ['exit(1)']);
    }
  });

  it('a crash during shutdown exits at once; a crash before the engine exists exits too', async () => {
    const { controller, calls } = setup({ shutdown: 'hang' });
    controller.requestQuit();
    await controller.onFatalError(new Error('second'));
    assert.deepEqual(calls, ['quit', 'exit(1)']);
    const early = setup();
    early.controller.setEngine(null);
    await early.controller.onFatalError('early');
    assert.deepEqual(early.calls, ['exit(1)']);
  });
});
