import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TrayController } from '../../electron/main/tray-controller.js';
import type { TrayModel } from '../../electron/main/tray-model.js';
import { app, fullState } from './fixtures.js';

const NOW = 1_800_000_000_000;

function setup() {
  let now = NOW;
  const rendered: TrayModel[] = [];
  const timers: Array<{ cb: () => void; at: number; cancelled: boolean }> = [];
  const controller = new TrayController({
    render: (m) => rendered.push(m),
    now: () => now,
    formatTime: (ms) => `${(ms - NOW) / 60_000}m`,
    setTimer: (cb, ms) => {
      const t = { cb, at: now + ms, cancelled: false };
      timers.push(t);
      return { cancel: () => (t.cancelled = true) };
    },
  });
  const advanceTo = (t: number) => {
    now = t;
    for (const timer of timers.filter((x) => !x.cancelled && x.at <= t)) {
      timer.cancelled = true;
      timer.cb();
    }
  };
  return { controller, rendered, advanceTo, timers, live: () => timers.filter((t) => !t.cancelled) };
}

describe('tray controller', () => {
  it('renders on state changes only when something visible changed', () => {
    const { controller, rendered } = setup();
    controller.update();
    assert.equal(rendered.length, 1);
    assert.equal(rendered[0]!.items[0]!.label, 'Starting…');
    const state = fullState({ apps: [app('a', 'running')] });
    controller.setState(state);
    controller.setState(structuredClone(state));
    assert.equal(rendered.length, 2);
    controller.setState(fullState({ apps: [app('a', 'paused')] }));
    assert.equal(rendered.length, 3);
    assert.equal(rendered[2]!.icon, 'paused');
  });

  it('a lease ends in the tray at its `until`, even if no event comes', () => {
    const { controller, rendered, advanceTo, live } = setup();
    controller.setState(fullState({ apps: [app('a', 'running')], pause: { since: NOW, until: NOW + 15 * 60_000 } }));
    assert.equal(rendered.at(-1)!.icon, 'paused');
    assert.equal(rendered.at(-1)!.items[0]!.label, 'Paused until 15m');
    assert.equal(live().length, 1);
    assert.equal(live()[0]!.at, NOW + 15 * 60_000);
    advanceTo(NOW + 15 * 60_000);
    assert.equal(rendered.at(-1)!.icon, 'running');
    assert.equal(live().length, 0);
  });

  it('shows at cap after a limit hit and goes back after the window', () => {
    const { controller, rendered, advanceTo } = setup();
    controller.setState(fullState({ apps: [app('a', 'held')] }));
    controller.observeLog({ seq: 1, t: NOW, kind: 'limitHit', appId: 'a', resource: 'cpu', message: '' });
    assert.equal(rendered.at(-1)!.icon, 'atCap');
    controller.observeLog({ seq: 2, t: NOW, kind: 'info', appId: 'a', resource: null, message: '' });
    advanceTo(NOW + 10_001);
    assert.equal(rendered.at(-1)!.icon, 'running');
    controller.dispose();
  });
});
