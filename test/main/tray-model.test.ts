import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  AT_CAP_WINDOW_MS,
  AtCapTracker,
  MAX_MENU_APPS,
  buildTrayModel,
  escapeLabel,
  isLeaseActive,
  nextTrayRefresh,
  toMenuTemplate,
  trayIconState,
  type TrayAction,
  type TrayMenuItem,
} from '../../electron/main/tray-model.js';
import { app, fullState } from './fixtures.js';

const NOW = 1_800_000_000_000;
const fmt = (ms: number) => `T+${Math.round((ms - NOW) / 60_000)}m`;
const find = (items: TrayMenuItem[], id: string) => items.find((i) => i.id === id);

describe('tray model', () => {
  it('a Profile submenu picks automatic or one profile by hand, the choice checked', () => {
    let model = buildTrayModel({ state: fullState(), now: NOW, atCap: false, formatTime: fmt });
    const menu = find(model.items, 'profile-choice')!;
    assert.equal(menu.kind, 'submenu');
    assert.deepEqual(
      menu.submenu!.map((i) => [i.label, i.kind, i.checked, i.action]),
      [
        ['Automatic (idle and power)', 'radio', true, { type: 'invoke', command: 'setProfile', args: { profile: 'auto' } }],
        ['In use', 'radio', false, { type: 'invoke', command: 'setProfile', args: { profile: 'inUse' } }],
        ['Idle', 'radio', false, { type: 'invoke', command: 'setProfile', args: { profile: 'idle' } }],
        ['On battery', 'radio', false, { type: 'invoke', command: 'setProfile', args: { profile: 'battery' } }],
      ],
    );
    model = buildTrayModel({ state: fullState({ profile: 'battery', profileChoice: 'battery' }), now: NOW, atCap: false, formatTime: fmt });
    assert.equal(find(model.items, 'profile')!.label, 'Profile: on battery (chosen by hand)');
    assert.deepEqual(find(model.items, 'profile-choice')!.submenu!.filter((i) => i.checked).map((i) => i.id), ['profile-battery']);
    const template = toMenuTemplate(model.items, () => {});
    const sub = template.find((i) => i.id === 'profile-choice')!.submenu as Array<{ type: string; checked: boolean }>;
    assert.deepEqual(sub.map((i) => [i.type, i.checked]), [['radio', false], ['radio', false], ['radio', false], ['radio', true]]);
    assert.equal(find(buildTrayModel({ state: null, now: NOW, atCap: false }).items, 'profile-choice')!.enabled, false);
  });

  it('shows running, with pause choices, resume disabled, a toggle per app, open and quit', () => {
    const state = fullState({ apps: [app('transmission', 'running', 'Transmission'), app('ipfs', 'paused', 'IPFS'), app('boinc', 'stopped', 'BOINC')] });
    const model = buildTrayModel({ state, now: NOW, atCap: false, formatTime: fmt });
    assert.equal(model.icon, 'running');
    assert.equal(find(model.items, 'status')!.label, '2 of 3 apps running');
    assert.equal(find(model.items, 'profile')!.label, 'Profile: in use');
    const pause = find(model.items, 'pause-all')!;
    assert.equal(pause.kind, 'submenu');
    assert.deepEqual(
      pause.submenu!.map((i) => [i.label, i.action]),
      [
        ['For 15 minutes', { type: 'invoke', command: 'pauseAll', args: { durationMs: 900_000 } }],
        ['For 1 hour', { type: 'invoke', command: 'pauseAll', args: { durationMs: 3_600_000 } }],
        ['Until resumed', { type: 'invoke', command: 'pauseAll', args: { durationMs: null } }],
      ],
    );
    assert.equal(find(model.items, 'resume-all')!.enabled, false);
    const t = find(model.items, 'app:transmission')!;
    assert.deepEqual([t.kind, t.checked, t.action], ['checkbox', true, { type: 'invoke', command: 'pauseApp', args: { id: 'transmission' } }]);
    const i = find(model.items, 'app:ipfs')!;
    assert.deepEqual([i.label, i.checked, i.action], ['IPFS (paused)', false, { type: 'invoke', command: 'resumeApp', args: { id: 'ipfs' } }]);
    const b = find(model.items, 'app:boinc')!;
    assert.deepEqual([b.checked, b.action], [false, { type: 'invoke', command: 'startApp', args: { id: 'boinc' } }]);
    assert.deepEqual(find(model.items, 'open-dashboard')!.action, { type: 'openDashboard' });
    assert.deepEqual(model.items.at(-1)!.action, { type: 'quit' });
  });

  it('shows a pause lease until it expires', () => {
    const state = fullState({ apps: [app('a', 'paused')], pause: { since: NOW, until: NOW + 15 * 60_000 } });
    const during = buildTrayModel({ state, now: NOW + 60_000, atCap: true, formatTime: fmt });
    assert.equal(during.icon, 'paused'); // paused wins over at-cap
    assert.equal(find(during.items, 'status')!.label, 'Paused until T+15m');
    assert.equal(find(during.items, 'resume-all')!.enabled, true);
    assert.match(during.tooltip, /Paused until T\+15m/);
    // Past `until` the lease is over even before the engine's state event arrives.
    const afterwards = buildTrayModel({ state: { ...state, apps: [app('a', 'running')] }, now: NOW + 15 * 60_000, atCap: false, formatTime: fmt });
    assert.equal(afterwards.icon, 'running');
    assert.equal(find(afterwards.items, 'resume-all')!.enabled, false);
    const forever = buildTrayModel({ state: fullState({ pause: { since: NOW, until: null } }), now: NOW + 1e10, atCap: false });
    assert.equal(find(forever.items, 'status')!.label, 'Paused until resumed');
    assert.equal(isLeaseActive(null, NOW), false);
  });

  it('picks the icon: paused when every live app is paused, at cap after a recent limit hit', () => {
    assert.equal(trayIconState(fullState({ apps: [app('a', 'paused'), app('b', 'stopped')] }), false, NOW), 'paused');
    assert.equal(trayIconState(fullState({ apps: [app('a', 'paused'), app('b', 'running')] }), false, NOW), 'running');
    assert.equal(trayIconState(fullState({ apps: [app('a', 'held')] }), true, NOW), 'atCap');
    assert.equal(trayIconState(fullState(), false, NOW), 'running');
    assert.equal(trayIconState(null, false, NOW), 'running');

    const tracker = new AtCapTracker();
    assert.equal(tracker.isAtCap(NOW), false);
    tracker.observe({ kind: 'info', t: NOW });
    assert.equal(tracker.isAtCap(NOW), false);
    tracker.observe({ kind: 'limitHit', t: NOW });
    assert.equal(tracker.isAtCap(NOW + AT_CAP_WINDOW_MS), true);
    assert.equal(tracker.isAtCap(NOW + AT_CAP_WINDOW_MS + 1), false);
    tracker.observe({ kind: 'limitHit', t: NOW - 5000 }); // older event does not move it back
    assert.equal(tracker.expiresAt(NOW), NOW + AT_CAP_WINDOW_MS);
  });

  it('schedules a refresh at the lease end and at the end of the at-cap look', () => {
    const tracker = new AtCapTracker();
    assert.equal(nextTrayRefresh(fullState(), tracker, NOW), null);
    tracker.observe({ kind: 'limitHit', t: NOW });
    assert.equal(nextTrayRefresh(fullState({ pause: { since: NOW, until: NOW + 900_000 } }), tracker, NOW), NOW + AT_CAP_WINDOW_MS + 1);
    assert.equal(nextTrayRefresh(fullState({ pause: { since: NOW, until: NOW + 5 } }), tracker, NOW), NOW + 5);
  });

  it('is usable before the engine answers and lists at most MAX_MENU_APPS apps', () => {
    const starting = buildTrayModel({ state: null, now: NOW, atCap: false });
    assert.equal(find(starting.items, 'status')!.label, 'Starting…');
    assert.equal(find(starting.items, 'pause-all')!.enabled, false);
    assert.equal(find(starting.items, 'quit')!.enabled, true);
    const many = Array.from({ length: MAX_MENU_APPS + 3 }, (_, k) => app(`a${k}`, 'running'));
    const model = buildTrayModel({ state: fullState({ apps: many }), now: NOW, atCap: false });
    assert.equal(model.items.filter((i) => i.id.startsWith('app:')).length, MAX_MENU_APPS);
    assert.equal(find(model.items, 'apps-more')!.label, '3 more in the dashboard');
  });

  it('turns the model into an Electron menu template whose clicks dispatch actions', () => {
    const state = fullState({ apps: [app('a', 'running', 'Rock & Roll')] });
    const model = buildTrayModel({ state, now: NOW, atCap: false });
    const dispatched: TrayAction[] = [];
    const template = toMenuTemplate(model.items, (a) => dispatched.push(a));
    const sub = template.find((t) => t.id === 'pause-all')!;
    assert.equal(sub.type, 'submenu');
    const oneHour = (sub.submenu as Array<{ click: () => void; label: string }>)[1]!;
    oneHour.click();
    const toggle = template.find((t) => t.id === 'app:a')!;
    assert.equal(toggle.label, 'Rock && Roll');
    assert.equal(toggle.type, 'checkbox');
    assert.equal(toggle.checked, true);
    (toggle.click as () => void)();
    (template.find((t) => t.id === 'quit')!.click as () => void)();
    assert.deepEqual(dispatched, [
      { type: 'invoke', command: 'pauseAll', args: { durationMs: 3_600_000 } },
      { type: 'invoke', command: 'pauseApp', args: { id: 'a' } },
      { type: 'quit' },
    ]);
    assert.equal(template.find((t) => t.id === 'status')!.click, undefined);
    assert.equal(escapeLabel('a&b&&c'), 'a&&b&&&&c');
  });
});

describe('pause lease across a restart (real engine)', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const tempConfig = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'interceptor-lease-'));
    dirs.push(d);
    return d;
  };

  it('a 15-minute pause is still in force after shutdown and restart, and the tray shows it', async () => {
    const { createEngine } = await import('../../electron/engine/index.js');
    const configDir = tempConfig();
    const first = await createEngine({ configDir, autostart: false });
    let state;
    try {
      state = await first.invoke('pauseAll', { durationMs: 15 * 60_000 });
    } finally {
      await first.shutdown();
    }
    assert.ok(state.pause && state.pause.until !== null);
    const second = await createEngine({ configDir, autostart: false });
    try {
      const again = await second.invoke('getState', {});
      assert.deepEqual(again.pause, state.pause);
      const model = buildTrayModel({ state: again, now: Date.now(), atCap: false, formatTime: (ms) => String(ms) });
      assert.equal(model.icon, 'paused');
      assert.equal(find(model.items, 'status')!.label, `Paused until ${state.pause.until}`);
      assert.equal(find(model.items, 'resume-all')!.enabled, true);
      const resumed = await second.invoke('resumeAll', {});
      assert.equal(resumed.pause, null);
    } finally {
      await second.shutdown();
    }
  });

  it('a lease that ended while Interceptor was not running is gone after restart', async () => {
    const { createEngine } = await import('../../electron/engine/index.js');
    const configDir = tempConfig();
    const first = await createEngine({ configDir, autostart: false });
    let until: number;
    try {
      const state = await first.invoke('pauseAll', { durationMs: 150 });
      until = state.pause!.until!;
    } finally {
      await first.shutdown();
    }
    // Wait until the lease is certainly over (no timing assumption beyond the wall clock).
    while (Date.now() <= until + 5) await new Promise((r) => setTimeout(r, until + 10 - Date.now()));
    const second = await createEngine({ configDir, autostart: false });
    try {
      const again = await second.invoke('getState', {});
      assert.equal(again.pause, null);
      assert.equal(buildTrayModel({ state: again, now: Date.now(), atCap: false }).icon, 'running');
    } finally {
      await second.shutdown();
    }
  });

  it('an until-resumed pause survives a restart', async () => {
    const { createEngine } = await import('../../electron/engine/index.js');
    const configDir = tempConfig();
    const first = await createEngine({ configDir, autostart: false });
    try {
      await first.invoke('pauseAll', { durationMs: null });
    } finally {
      await first.shutdown();
    }
    const second = await createEngine({ configDir, autostart: false });
    try {
      const again = await second.invoke('getState', {});
      assert.equal(again.pause?.until, null);
      assert.equal(find(buildTrayModel({ state: again, now: Date.now() + 1e9, atCap: false }).items, 'status')!.label, 'Paused until resumed');
    } finally {
      await second.shutdown();
    }
  });
});
