// The terminal channel in isolation: batching, bounded scrollback, and flow control
// (the source is paused past the rate and while a consumer holds, resumed after).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TerminalChannel } from '../../../electron/engine/creator/terminal.js';
import { sleep } from '../helpers.js';

test('output is batched into few events and kept in a bounded scrollback', async () => {
  const events: string[] = [];
  const ch = new TerminalChannel((d) => events.push(d), { scrollbackChars: 1000, batchMs: 20 });
  for (let i = 0; i < 100; i++) ch.push(`line ${i}\n`);
  assert.equal(events.length, 0, 'nothing before the batch interval');
  await sleep(40);
  assert.equal(events.length, 1);
  assert.match(events[0]!, /^line 0\n[\s\S]*line 99\n$/);
  const backlog = ch.backlogText();
  assert.ok(backlog.length <= 1000);
  assert.match(backlog, /^line \d+\n/, 'cut at a line boundary');
  assert.match(backlog, /line 99\n$/);
  ch.dispose();
});

test('flow control: the source is paused past the rate and while held, and resumed', async () => {
  const calls: string[] = [];
  const ch = new TerminalChannel(() => undefined, { maxBytesPerSecond: 1000, batchMs: 5 });
  ch.attach({ pause: () => calls.push('pause'), resume: () => calls.push('resume') });
  ch.push('x'.repeat(600));
  assert.deepEqual(calls, []);
  ch.push('x'.repeat(600));
  assert.deepEqual(calls, ['pause']);
  await sleep(1100);
  assert.deepEqual(calls, ['pause', 'resume'], 'resumed when the window rolls over');
  ch.setHeld(true);
  ch.setHeld(true);
  assert.deepEqual(calls, ['pause', 'resume', 'pause']);
  ch.setHeld(false);
  assert.deepEqual(calls, ['pause', 'resume', 'pause', 'resume']);
  ch.dispose();
});
