// Reading a unit as systemd would: Exec prefixes and quoting, the search path, templates,
// drop-ins in order with "ExecStart=" resetting the list, and clear errors.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { UnitError, parseExecLine, splitWords } from '../../../electron/engine/adopt/exec-line.js';
import { readUnit, serviceAssignments, unitSearchPath } from '../../../electron/engine/adopt/unit-file.js';
import { tempDir } from '../helpers.js';

test('an Exec line: prefixes kept apart, the raw text verbatim, words unquoted as systemd does', () => {
  const l = parseExecLine(`-+/usr/bin/tor --defaults-torrc "/usr/share/tor/a b" 'x"y' \\x41\\tZ %i $FOO`);
  assert.equal(l.prefixes, '-+');
  assert.equal(l.raw, `/usr/bin/tor --defaults-torrc "/usr/share/tor/a b" 'x"y' \\x41\\tZ %i $FOO`);
  assert.deepEqual(l.words, ['/usr/bin/tor', '--defaults-torrc', '/usr/share/tor/a b', 'x"y', 'A\tZ', '%i', '$FOO']);
  assert.equal(l.argv0, false);
  assert.equal(parseExecLine('@/bin/daemon mydaemon -f').argv0, true);
  assert.deepEqual(parseExecLine('!!/bin/x').prefixes, '!!');
  assert.throws(() => parseExecLine('-'), UnitError);
  assert.throws(() => splitWords('"open'), /unterminated quote/);
});

test('[Service] assignments: comments, other sections and continuation lines', () => {
  const text = '[Unit]\nExecStart=/not/this\n[Service]\n# c\n; c\nExecStart=/bin/a \\\n  --long\nType = notify\n';
  assert.deepEqual(serviceAssignments(text), [['ExecStart', '/bin/a    --long'], ['Type', 'notify']]);
});

test('search path, template fallback, drop-ins in name order with resets, masked and missing units', async (t) => {
  const { dir, cleanup } = tempDir('interceptor-unit-');
  t.after(cleanup);
  const hi = path.join(dir, 'hi');
  const lo = path.join(dir, 'lo');
  mkdirSync(path.join(lo, 'p2p@.service.d'), { recursive: true });
  mkdirSync(path.join(hi, 'p2p@x.service.d'), { recursive: true });
  writeFileSync(path.join(lo, 'p2p@.service'), '[Service]\nUser=%i\nExecStart=/bin/orig %i\n');
  writeFileSync(path.join(lo, 'p2p@.service.d', '10-a.conf'), '[Service]\nExecStart=\nExecStart=/bin/from-a\n');
  writeFileSync(path.join(lo, 'p2p@.service.d', '20-b.conf'), '[Service]\nType=notify\n');
  // the same name higher up masks the lower file
  writeFileSync(path.join(hi, 'p2p@x.service.d', '20-b.conf'), '[Service]\nType=exec\n');
  writeFileSync(path.join(hi, 'p2p@x.service.d', 'zz-interceptor.conf'), '[Service]\nExecStart=\nExecStart=/bin/ours\n');
  const env = { SYSTEMD_UNIT_PATH: `${hi}:${lo}` };
  assert.deepEqual(unitSearchPath({ scope: 'system', env }), [hi, lo]);
  assert.ok(unitSearchPath({ scope: 'system', env: { SYSTEMD_UNIT_PATH: `${hi}:` } }).includes('/lib/systemd/system'), 'a trailing ":" keeps the defaults');
  const u = await readUnit('p2p@x.service', { scope: 'system', env });
  assert.equal(u.fragment, path.join(lo, 'p2p@.service'));
  assert.deepEqual(u.execStart.map((l) => l.raw), ['/bin/from-a'], 'ExecStart= in a drop-in discards the line before it; our own drop-in is left out');
  assert.equal(u.type, 'exec');
  assert.equal(u.user, '%i');
  assert.equal(u.ours, path.join(hi, 'p2p@x.service.d', 'zz-interceptor.conf'));
  await assert.rejects(readUnit('p2p@.service', { scope: 'system', env }), /is a template: adopt an instance of it, such as p2p@NAME.service/);
  await assert.rejects(readUnit('nope.service', { scope: 'system', env }), /no system unit nope.service \(searched/);
  symlinkSync('/dev/null', path.join(hi, 'masked.service'));
  await assert.rejects(readUnit('masked.service', { scope: 'system', env }), /is masked/);
});
