// The one request/reply and event plumbing (electron/common/rpc.ts), the contract's client
// over text frames (wire.ts) and the one mapping of an error to its code (errors.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandError, errorFromReply, errorReply, toCommandError } from '../../electron/common/errors.js';
import { Listeners, PendingReplies } from '../../electron/common/rpc.js';
import { ContractClient } from '../../electron/common/wire.js';

test('listeners: delivered in order, may unsubscribe while an event is delivered; a throw is reported or reaches the emitter', () => {
  const heard: string[] = [];
  const events = new Listeners<{ ping: [n: number]; pair: [a: string, b: number] }>();
  const offB = events.on('ping', (n) => heard.push(`b${n}`));
  events.on('ping', (n) => {
    heard.push(`a${n}`);
    offB();
  });
  events.on('pair', (a, b) => heard.push(`${a}${b}`));
  assert.ok(events.has('ping') && events.has('pair'));
  events.emit('ping', 1);
  events.emit('ping', 2);
  events.emit('pair', 'x', 3);
  assert.deepEqual(heard, ['b1', 'a1', 'a2', 'x3']);
  assert.equal(events.size, 2);
  const offPair = events.on('pair', () => undefined);
  offPair();
  assert.ok(events.has('pair'), 'one pair listener is left');
  assert.ok(!new Listeners<{ ping: [] }>().has('ping'));

  const throwing = new Listeners<{ ping: [] }>();
  throwing.on('ping', () => {
    throw new Error('boom');
  });
  assert.throws(() => throwing.emit('ping'), /boom/, 'without onError the throw reaches the emitter');
  const reported: string[] = [];
  const isolated = new Listeners<{ ping: [] }>((error, event) => reported.push(`${String(event)}: ${(error as Error).message}`));
  isolated.on('ping', () => {
    throw new Error('boom');
  });
  isolated.on('ping', () => reported.push('second heard it'));
  isolated.emit('ping');
  assert.deepEqual(reported, ['ping: boom', 'second heard it']);
});

test('pending replies: ids count up, a reply settles its request once, a timeout or a closed channel fails the rest', async () => {
  const pending = new PendingReplies<string>();
  const a = pending.open();
  const b = pending.open({ ms: 10, error: () => new Error('late') });
  const c = pending.open();
  assert.deepEqual([a.id, b.id, c.id], [1, 2, 3]);
  assert.equal(pending.resolve(a.id, 'A'), true);
  assert.equal(pending.resolve(a.id, 'again'), false, 'a second reply finds nothing waiting');
  assert.equal(await a.reply, 'A');
  await assert.rejects(b.reply, /late/);
  const answers = new PendingReplies<number>(); // a second answer to request c, as a helper's `slice`
  const second = answers.await(c.id);
  pending.rejectAll(new Error('closed'));
  answers.rejectAll(new Error('closed'));
  await assert.rejects(c.reply, /closed/);
  await assert.rejects(second, /closed/);
  assert.equal(pending.size, 0);
  const again = answers.await(c.id);
  assert.equal(answers.resolve(c.id, 42), true);
  assert.equal(await again, 42);
});

test('errors: a CommandError keeps its code, a coded error its code, anything else is internal; a reply with an unknown code is internal', () => {
  assert.deepEqual(errorReply(new CommandError('notFound', 'no app "x"')), { code: 'notFound', message: 'no app "x"' });
  assert.deepEqual(errorReply(Object.assign(new Error('taken'), { code: 'conflict' })), { code: 'conflict', message: 'taken' });
  assert.deepEqual(errorReply(new Error('disk full')), { code: 'internal', message: 'disk full' });
  assert.deepEqual(errorReply('oops'), { code: 'internal', message: 'oops' });
  assert.equal(toCommandError(null).message, 'null');
  const e = errorFromReply({ code: 'sharesExceedCap', message: 'too much' });
  assert.ok(e instanceof CommandError);
  assert.deepEqual([e.code, e.message], ['sharesExceedCap', 'too much']);
  assert.equal(errorFromReply({ code: 'ENOENT', message: 'm' }).code, 'internal');
  assert.equal(errorFromReply(undefined).code, 'internal');
});

test('the contract client: a request frame per invoke, replies by id, events by name, every request failed when the channel closes', async () => {
  const sent: Array<{ id: number; cmd: string; args: unknown }> = [];
  const client = new ContractClient((frame) => sent.push(JSON.parse(frame)));
  const state = client.invoke('getState', {});
  const removed = client.invoke('removeApp', { id: 'x' });
  const stopped = client.invoke('stopApp', { id: 'y' });
  assert.deepEqual(sent, [
    { id: 1, cmd: 'getState', args: {} },
    { id: 2, cmd: 'removeApp', args: { id: 'x' } },
    { id: 3, cmd: 'stopApp', args: { id: 'y' } },
  ]);
  const logs: number[] = [];
  client.on('log', (entry) => logs.push(entry.seq));
  client.receive(JSON.stringify({ event: 'log', payload: { seq: 7 } }));
  client.receive(JSON.stringify({ id: 2, ok: false, error: { code: 'notFound', message: 'no app "x"' } }));
  client.receive(JSON.stringify({ id: 1, ok: true, result: { version: '1' } }));
  client.receive('not json');
  client.receive(Buffer.from('{}'));
  assert.deepEqual(await state, { version: '1' });
  await assert.rejects(removed, (e: CommandError) => e instanceof CommandError && e.code === 'notFound' && e.message === 'no app "x"');
  assert.deepEqual(logs, [7]);
  client.fail('the connection closed');
  await assert.rejects(stopped, (e: CommandError) => e.code === 'unavailable' && e.message === 'the connection closed');

  const late = new ContractClient(() => undefined, { requestTimeoutMs: 5 });
  await assert.rejects(late.invoke('getState', {}), (e: CommandError) => e.code === 'unavailable' && /did not answer "getState" in time/.test(e.message));
  const broken = new ContractClient(() => {
    throw new Error('socket gone');
  });
  await assert.rejects(broken.invoke('getState', {}), (e: CommandError) => e.code === 'unavailable' && /Could not send "getState"/.test(e.message));
});
