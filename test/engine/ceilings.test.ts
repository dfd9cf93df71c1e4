// Per-app ceilings through the contract: range-checked with errors that name the field, never
// below the nominal share, changed one resource at a time, kept across a restart, and shown as
// the app's bound in its snapshot figures.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommandError } from '../../electron/common/contract.js';
import { NO_CEILINGS } from '../../electron/common/model.js';
import { createEngine } from '../../electron/engine/index.js';
import { tempDir, testEngine, zeroShares } from './helpers.js';

async function invalid(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof CommandError && e.code === 'invalid' && re.test(e.message));
}

test('ceilings are range-checked and the errors name the field', async (t) => {
  const { engine } = await testEngine(t);
  const add = (ceilings: unknown, shares = zeroShares) => engine.invoke('addApp', { name: 'x', command: 'sleep', shares, ceilings } as never);
  await invalid(add({ ...NO_CEILINGS, cpu: 1.5 }), /^addApp: ceilings\.cpu: Number must be less than or equal to 1$/);
  await invalid(add({ ...NO_CEILINGS, netUp: -1 }), /^addApp: ceilings\.netUp: Number must be greater than or equal to 0$/);
  await invalid(add({ ...NO_CEILINGS, mem: 1e16 }), /^addApp: ceilings\.mem: /);
  await invalid(add({ ...NO_CEILINGS, disk: Number.NaN }), /^addApp: ceilings\.disk: /);
  await invalid(add({ cpu: 0.5 }), /^addApp: ceilings\.netUp: Required$/);
  await invalid(add({ ...NO_CEILINGS, gpu: 1 }), /^addApp: ceilings: Unrecognized key/);
  await invalid(add({ ...NO_CEILINGS, netDown: 1e6 }, { ...zeroShares, netDown: 2e6 }), /^addApp: ceilings\.netDown: 1 MB\/s is below the nominal share 2 MB\/s/);
  const app = await engine.invoke('addApp', { name: 'a', command: 'sleep' });
  assert.deepEqual(app.definition.ceilings, NO_CEILINGS, 'no ceilings unless given');
  await invalid(engine.invoke('updateApp', { id: 'a', patch: { ceilings: { netUp: -5 } } }), /^updateApp: patch\.ceilings\.netUp: /);
  await invalid(engine.invoke('updateApp', { id: 'a', patch: { ceilings: { cpu: 0.1 }, shares: { ...zeroShares, cpu: 0.2 } } }), /ceilings\.cpu: 10% is below the nominal share 20%/);
  assert.deepEqual((await engine.invoke('getState', {})).apps[0]!.definition.ceilings, NO_CEILINGS, 'a refused change changes nothing');
});

test('a patch changes only the ceilings it names; they survive a restart', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const engine = await createEngine({ configDir: dir, autostart: false });
  await engine.invoke('addApp', { name: 'a', command: 'sleep', ceilings: { ...NO_CEILINGS, netUp: 1e6, cpu: 0.2 } });
  const changed = await engine.invoke('updateApp', { id: 'a', patch: { ceilings: { netUp: null, mem: 256e6 } } });
  assert.deepEqual(changed.definition.ceilings, { ...NO_CEILINGS, cpu: 0.2, mem: 256e6 });
  await engine.shutdown();
  const again = await createEngine({ configDir: dir, autostart: false });
  try {
    assert.deepEqual((await again.invoke('getState', {})).apps[0]!.definition.ceilings, { ...NO_CEILINGS, cpu: 0.2, mem: 256e6 });
  } finally {
    await again.shutdown();
  }
});

test('the snapshot bounds an app by its ceiling where it is below the cap', async (t) => {
  const { engine } = await testEngine(t);
  await engine.invoke('setOwnerLimits', { limits: { netUp: 4e6, cpu: 0.5 } });
  await engine.invoke('addApp', { name: 'a', command: 'sleep', ceilings: { ...NO_CEILINGS, netUp: 1e6, cpu: 0.8 } });
  const history = await new Promise<void>((r) => setTimeout(r, 1200)).then(() => engine.invoke('getHistory', { seconds: 5 }));
  const last = history[history.length - 1]!;
  const a = last.apps.find((x) => x.id === 'a')!;
  assert.equal(a.resources.netUp.cap, 1e6, 'the ceiling, below the cap');
  assert.equal(a.resources.cpu.cap, 0.5, 'the cap, below the ceiling');
  assert.equal(a.resources.disk.cap, null);
});
