// The benchmarks' bare supervisor (native/bench/sysbench.c, `sysbench wrap`: the "bare" column of
// bench/swarm.ts) must outlive a trapped call that a signal interrupted before the supervisor read
// it; the kernel then answers the next read of the listener with ENOENT. Go apps (Syncthing) take
// many signals: the supervisor used to quit on it, and the app's next trapped call failed with ENOSYS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { SYSBENCH, buildSysbench } from '../../../bench/lib/sysbench.js';
import { bin, requireBuilt, sleep, waitFor } from '../harness.js';

test('sysbench wrap: a trapped call interrupted before the supervisor read it does not end the supervisor', { timeout: 30_000 }, async () => {
  requireBuilt();
  buildSysbench();
  // read mode: each line on stdin is an event; SIGUSR1 has a handler without SA_RESTART
  const app = spawn(SYSBENCH, ['wrap', bin('waitloop'), 'read', '100', '1'], { env: { ...process.env, WAITLOOP_HANDLER: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  app.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  app.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const closed = new Promise<number | null>((resolve) => app.on('close', resolve));
  try {
    await waitFor('ready', () => out.includes('ready'));
    // the supervisor: the child forked before the exec
    const supervisor = Number(readFileSync(`/proc/${app.pid}/task/${app.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
    assert.ok(supervisor > 0);
    process.kill(supervisor, 'SIGSTOP');
    try {
      // the blocked read fails with EINTR and is made again: a notification the stopped supervisor
      // does not read; the second signal interrupts that one, and the read is made a third time
      process.kill(app.pid!, 'SIGUSR1');
      await sleep(200);
      process.kill(app.pid!, 'SIGUSR1');
      await sleep(200);
    } finally {
      process.kill(supervisor, 'SIGCONT');
    }
    const feeder = setInterval(() => app.stdin!.write('x\n'), 100);
    const code = await closed.finally(() => clearInterval(feeder));
    assert.equal(code, 0, `waitloop under the bare supervisor: ${err}`);
    assert.match(out, /ticks=\d+ eintr=2 maxlate_ms=[\d.]+ signals=2/);
  } finally {
    app.kill('SIGKILL');
  }
});
