// The engine's shared context: a change of state becomes one `state` event per task, built only
// for a listener (`interceptor run` changes the state several times before it listens).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FullState } from '../../electron/common/model.js';
import { EngineContext } from '../../electron/engine/context.js';

test('state changes: one event per task, and the state is built only when someone listens', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'interceptor-context-'));
  try {
    const ctx = new EngineContext({ configDir: dir });
    let built = 0;
    ctx.setStateSource(() => (built++, { apps: [] } as unknown as FullState));
    ctx.stateChanged();
    ctx.stateChanged();
    await Promise.resolve();
    assert.equal(built, 0, 'no listener: the state was not built');
    const heard: FullState[] = [];
    const off = ctx.events.on('state', (s) => heard.push(s));
    ctx.stateChanged();
    ctx.stateChanged();
    await Promise.resolve();
    assert.equal(built, 1);
    assert.equal(heard.length, 1, 'two changes in one task: one event');
    off();
    ctx.stateChanged();
    await Promise.resolve();
    assert.equal(built, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
