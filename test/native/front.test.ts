// native/src/front.c: `interceptor-helper --front NODE CLI -- CMD` runs the app at once in a
// forked helper and execs NODE CLI `run -- CMD` with the listening control socket, the token and
// the helper's pid in INTERCEPTOR_FRONT. Here NODE is node and CLI a stand-in that speaks the
// socket raw (the real CLI's side: test/bin/interceptor.test.ts).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { HELPER, assertNoSanitizerReport, goneOrZombie, requireBuilt, waitFor } from './harness.js';

/**
 * The stand-in CLI: prints what it was given, waits for `marker` (the app wrote it: it ran
 * before anyone accepted), then takes the socket and prints every line the helper sent.
 * With `die`, it exits instead of listening.
 */
const STAND_IN = `
import net from 'node:net';
import { existsSync, statSync } from 'node:fs';
const [marker, mode] = process.env.FRONT_TEST.split('|');
const front = process.env.INTERCEPTOR_FRONT ?? null;
const out = { argv: process.argv.slice(2), front, tokenEnv: process.env.INTERCEPTOR_HELPER_TOKEN ?? null };
if (!front) { console.log(JSON.stringify(out)); process.exit(0); }
const [fd, pid, token, dir] = front.split(' ');
const until = Date.now() + 10000;
while (!existsSync(marker)) {
  if (Date.now() > until) { console.log(JSON.stringify({ ...out, error: 'the app never ran' })); process.exit(1); }
  await new Promise((r) => setTimeout(r, 5));
}
Object.assign(out, { fd: Number(fd), pid: Number(pid), token, dir, dirLeft: existsSync(dir) });
if (mode === 'die') { console.log(JSON.stringify(out)); process.exit(1); }
const server = net.createServer((s) => {
  let text = '';
  s.on('data', (d) => (text += d));
  s.on('end', () => {
    out.lines = text.split('\\n').filter(Boolean).map((l) => JSON.parse(l));
    console.log(JSON.stringify(out));
    s.end();
    server.close();
  });
});
server.listen({ fd: Number(fd) });
`;

interface Ran {
  code: number | null;
  out: Record<string, unknown>;
  stderr: string;
}

async function front(dir: string, command: string[], mode = 'listen'): Promise<Ran> {
  const cli = path.join(dir, 'cli.mjs');
  writeFileSync(cli, STAND_IN);
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: dir, FRONT_TEST: `${path.join(dir, 'marker')}|${mode}` };
  delete env.XDG_RUNTIME_DIR;
  const p = spawn(HELPER, ['--front', process.execPath, cli, '--', ...command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => (stdout += d));
  p.stderr.on('data', (d: Buffer) => (stderr += d));
  const code = await new Promise<number | null>((r) => p.on('close', (c) => r(c)));
  assertNoSanitizerReport(stderr);
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  assert.ok(line, `no output from the stand-in CLI: ${stdout} ${stderr}`);
  return { code, out: JSON.parse(line) as Record<string, unknown>, stderr };
}

test('the front runs the app before its CLI takes the socket, and hands it the socket, the token and the helper', async () => {
  requireBuilt();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'front-'));
  try {
    const r = await front(dir, ['sh', '-c', `echo ran > ${path.join(dir, 'marker')}; exit 4`]);
    assert.equal(r.code, 0, r.stderr);
    const o = r.out;
    assert.deepEqual(o.argv, ['run', '--', 'sh', '-c', `echo ran > ${path.join(dir, 'marker')}; exit 4`]);
    assert.equal(o.tokenEnv, null, 'the token is the helper\'s, not in the CLI\'s environment');
    assert.match(String(o.dir), new RegExp(`^${dir}/interceptor-catcher-[A-Za-z0-9]{6}$`));
    assert.equal(o.dirLeft, false, 'the socket\'s name and directory are gone once the helper connected');
    assert.ok(Number(o.fd) >= 3);
    const lines = o.lines as { type: string; token?: string; helperPid?: number; appPid?: number; code?: number }[];
    assert.equal(lines[0]!.type, 'hello');
    assert.equal(lines[0]!.token, o.token);
    assert.equal(lines[0]!.helperPid, o.pid);
    assert.ok(lines[0]!.appPid! > 0);
    assert.deepEqual(lines.filter((l) => l.type === 'exit'), [{ type: 'exit', code: 4, signal: null }]);
    assert.deepEqual(readdirSync(dir).sort(), ['cli.mjs', 'marker']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a program that cannot run goes to the CLI as it is, with no helper', async () => {
  requireBuilt();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'front-'));
  try {
    for (const missing of [path.join(dir, 'nothing-here'), 'no-such-program-anywhere', dir]) {
      const r = await front(dir, [missing, 'x']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.out, { argv: ['run', '--', missing, 'x'], front: null, tokenEnv: null });
      assert.equal(r.stderr, '');
    }
    assert.deepEqual(readdirSync(dir), ['cli.mjs']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a CLI that dies before it takes the socket: the helper ends the app', async () => {
  requireBuilt();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'front-'));
  try {
    const marker = path.join(dir, 'marker');
    const r = await front(dir, ['sh', '-c', `echo $$ > ${marker}.tmp; mv ${marker}.tmp ${marker}; exec sleep 30`], 'die');
    assert.equal(r.code, 1);
    const appPid = Number(readFileSync(marker, 'utf8'));
    assert.ok(appPid > 0);
    await waitFor('the app to end', () => goneOrZombie(appPid), 10000);
    await waitFor('the helper to end', () => goneOrZombie(Number(r.out.pid)), 10000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
