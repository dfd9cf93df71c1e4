// The renderer's unit helpers agree with electron/common/resources.ts (they are its own).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatResourceValue, parseResourceValue, RESOURCE_LABELS as COMMON_LABELS, RESOURCES as COMMON_RESOURCES } from '../../electron/common/resources.js';
import { formatTime, formatValue, lagWords, parseValue, RESOURCE_LABELS, RESOURCES } from '../../renderer/src/lib/units.js';
import { readForm, type EditorForm } from '../../renderer/src/lib/appForm.js';

test('same resources and labels as the shared model', () => {
  assert.deepEqual([...RESOURCES], [...COMMON_RESOURCES]);
  assert.deepEqual(RESOURCE_LABELS, COMMON_LABELS);
});

test('parses what the owner types like the engine does', () => {
  const cases: Array<[(typeof RESOURCES)[number], string]> = [
    ['cpu', '25%'], ['cpu', '100'], ['cpu', '0.5%'], ['netUp', '500kB/s'], ['netUp', '2MB/s'], ['netDown', '2 M'], ['disk', '1.5 MiB/s'],
    ['netUp', '100Mbit'], ['netUp', '100Mbit/s'], ['netDown', '512 kbit'], ['netDown', '20Mbps'], ['disk', '2MBps'], ['netUp', '1Mibit/s'],
    ['mem', '512MB'], ['mem', '2GiB'], ['mem', '4096'],
  ];
  for (const [r, text] of cases) {
    const mine = parseValue(r, text);
    assert.ok(mine.ok, `${r} ${text}`);
    // A bare number above 1 is a percentage (the dashboard's fields are in percent), so a
    // bare "100" is 100 %; the same parser reads it in the engine.
    const expected = r === 'cpu' && !text.includes('%') ? Number(text) / 100 : parseResourceValue(r, text);
    assert.equal(mine.value, expected, `${r} ${text}`);
  }
});

test('refuses what cannot be read, with a message that says what to type', () => {
  for (const [r, text] of [['cpu', '150%'], ['cpu', 'lots'], ['netUp', 'fast'], ['mem', '5PB'], ['mem', '-1MB'], ['netUp', '9000Tbit'], ['netUp', '100Mbitz'], ['mem', '100Mbit']] as const) {
    const result = parseValue(r, text);
    assert.equal(result.ok, false, `${r} ${text}`);
    if (!result.ok) assert.match(result.error, /^Type /);
  }
});

test('formats like the engine', () => {
  for (const [r, v] of [['cpu', 0.3], ['netUp', 1.5e6], ['disk', 999], ['mem', 4e9], ['netDown', null]] as const) {
    assert.equal(formatValue(r, v).replace(/\s/g, ''), formatResourceValue(r, v).replace(/\s/g, ''));
  }
  assert.equal(formatValue('cpu', undefined), '–');
});

test('the lag in an owner\'s words: owed while waiting, unused without, ahead; memory over or under its share', () => {
  assert.deepEqual(lagWords('cpu', -0.05, true), { text: 'owed 5%', tone: 'owed' });
  assert.deepEqual(lagWords('cpu', -0.0485, false), { text: '4.85% unused', tone: 'unused' });
  assert.deepEqual(lagWords('netUp', 2e3, false), { text: '2 kB/s ahead', tone: 'ahead' });
  assert.deepEqual(lagWords('disk', -3e5, true), { text: 'owed 300 kB/s', tone: 'owed' });
  assert.deepEqual(lagWords('mem', 8e6, false), { text: '8 MB over share', tone: 'ahead' }, 'not "lag +8 MB"');
  assert.deepEqual(lagWords('mem', -8e6, true), { text: '8 MB under share', tone: 'unused' });
  assert.deepEqual(lagWords('cpu', 0, false), { text: 'on share', tone: 'even' });
  assert.deepEqual(lagWords('netDown', 0.2, true), { text: 'on share', tone: 'even' }, 'below a byte is nothing');
  assert.deepEqual(lagWords('cpu', undefined, false), { text: '–', tone: 'even' });
});

test('a share far too large is refused with the real limit, not "below 1 PB"', () => {
  const form: EditorForm = { name: 'x', command: 'sh', args: '', cwd: '', env: '', autostart: false, shares: { cpu: '', netUp: '99999 TB/s', netDown: '', disk: '', mem: '' } };
  const noCap = readForm(form, { cap: () => null, entries: [], selfId: 'new' });
  assert.deepEqual(noCap.ok ? null : noCap.errors, { netUp: 'At most 1 GB/s.' });
  const capped = readForm(form, { cap: () => 2e6, entries: [{ id: 'a', shares: { cpu: 0, netUp: 5e5, netDown: 0, disk: 0, mem: 0 } }], selfId: 'new' });
  assert.deepEqual(capped.ok ? null : capped.errors, { netUp: 'At most 1.5 MB/s: the cap of 2 MB/s minus the other apps\' shares.' });
  assert.equal(parseValue('netUp', '9'.repeat(400)).ok, false, 'a number past any double is not read');
});

test('times show the day only when it is not today', () => {
  const now = new Date(2026, 10, 22, 18, 0, 0).getTime();
  assert.equal(formatTime(new Date(2026, 10, 22, 9, 5, 7).getTime(), now), '09:05:07');
  assert.equal(formatTime(new Date(2026, 10, 21, 23, 59, 0).getTime(), now), 'Nov 21 23:59:00');
});
