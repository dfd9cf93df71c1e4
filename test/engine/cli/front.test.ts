// cli/front.ts: what the front (native/src/front.c) hands the CLI in INTERCEPTOR_FRONT, taken
// out of the environment and range-checked (it crosses from another process).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommandError } from '../../../electron/common/errors.js';
import { takeFront } from '../../../electron/engine/cli/front.js';

const TOKEN = 'ab'.repeat(32);

test('a front is read and taken out of the environment; none is null', () => {
  const env: NodeJS.ProcessEnv = { INTERCEPTOR_FRONT: `3 4242 ${TOKEN} /tmp/x y/interceptor-catcher-Ab12Cd`, OTHER: '1' };
  assert.deepEqual(takeFront(env), { fd: 3, helperPid: 4242, token: TOKEN, dir: '/tmp/x y/interceptor-catcher-Ab12Cd' });
  assert.deepEqual(env, { OTHER: '1' });
  assert.equal(takeFront(env), null);
});

test('a malformed front is an error, and is taken out all the same', () => {
  for (const bad of [
    '',
    `2 4242 ${TOKEN} /tmp/interceptor-catcher-Ab12Cd`, // stdio is not the socket
    `3 1 ${TOKEN} /tmp/interceptor-catcher-Ab12Cd`, // init is not a helper
    `3 4242 ${TOKEN.toUpperCase()} /tmp/interceptor-catcher-Ab12Cd`,
    `3 4242 ${TOKEN.slice(2)} /tmp/interceptor-catcher-Ab12Cd`,
    `3 4242 ${TOKEN} tmp/interceptor-catcher-Ab12Cd`, // relative
    `3 4242 ${TOKEN} /tmp/somewhere-else`,
    `3 99999999 ${TOKEN} /tmp/interceptor-catcher-Ab12Cd`,
    `70000 4242 ${TOKEN} /tmp/interceptor-catcher-Ab12Cd`,
  ]) {
    const env: NodeJS.ProcessEnv = { INTERCEPTOR_FRONT: bad };
    assert.throws(() => takeFront(env), (e: unknown) => e instanceof CommandError && e.code === 'invalid' && /INTERCEPTOR_FRONT/.test(e.message), bad);
    assert.equal(env.INTERCEPTOR_FRONT, undefined);
  }
});
