// The renderer's unit helpers agree with electron/common/resources.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatResourceValue, parseResourceValue, RESOURCE_LABELS as COMMON_LABELS, RESOURCES as COMMON_RESOURCES } from '../../electron/common/resources.js';
import { formatSigned, formatTime, formatValue, parseValue, RESOURCE_LABELS, RESOURCES } from '../../renderer/src/lib/units.js';

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
    // The engine's parseFraction reads a bare number as a fraction; the dashboard's field
    // is in percent, so a bare "100" is 100 %.
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
  assert.equal(formatSigned('cpu', -0.05), '−5%');
  assert.equal(formatSigned('netUp', 2e3), '+2 kB/s');
  assert.equal(formatSigned('cpu', 0), '±0%');
});

test('times show the day only when it is not today', () => {
  const now = new Date(2026, 10, 22, 18, 0, 0).getTime();
  assert.equal(formatTime(new Date(2026, 10, 22, 9, 5, 7).getTime(), now), '09:05:07');
  assert.equal(formatTime(new Date(2026, 10, 21, 23, 59, 0).getTime(), now), 'Nov 21 23:59:00');
});
