import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBitRate, parseBytes, parseFraction, parseRate, parseResourceValue, formatResourceValue, readResourceValue, UnitParseError } from '../../electron/common/resources.js';

test('parses percentages as fractions of the machine', () => {
  assert.equal(parseFraction('25%'), 0.25);
  assert.equal(parseFraction('0.5'), 0.5);
  assert.equal(parseFraction(' 100 % '), 1);
  assert.throws(() => parseFraction('150%'), UnitParseError);
  assert.throws(() => parseFraction('-5%'), UnitParseError);
  assert.throws(() => parseFraction('abc'), UnitParseError);
});

test('parses sizes and rates with SI and binary units', () => {
  assert.equal(parseBytes('512MB'), 512e6);
  assert.equal(parseBytes('2GiB'), 2 * 1024 ** 3);
  assert.equal(parseBytes('4096'), 4096);
  assert.equal(parseRate('1MB/s'), 1e6);
  assert.equal(parseRate('500 kB/s'), 500e3);
  assert.equal(parseRate('2M'), 2e6);
  assert.throws(() => parseRate('fast'), UnitParseError);
  assert.throws(() => parseBytes('5PB'), UnitParseError);
});

test('parses bit rates: the word "bit" or a lower-case "bps"; "MB/s" and "MBps" stay bytes', () => {
  assert.equal(parseRate('100Mbit'), 12.5e6);
  assert.equal(parseRate('100Mbit/s'), 12.5e6);
  assert.equal(parseRate('100 mbit/s'), 12.5e6);
  assert.equal(parseRate('512kbit'), 64e3);
  assert.equal(parseRate('8bit/s'), 1);
  assert.equal(parseRate('1Gbps'), 125e6);
  assert.equal(parseRate('20Mbps'), 2.5e6);
  assert.equal(parseRate('1Mibit'), 1024 ** 2 / 8);
  assert.equal(parseRate('2MBps'), 2e6, 'capital B: bytes');
  assert.equal(parseRate('2MB/s'), 2e6);
  assert.equal(parseBitRate('2MB/s'), null);
  assert.equal(parseResourceValue('netUp', '100Mbit/s'), 12.5e6);
  assert.throws(() => parseRate('100Mbitz'), UnitParseError);
  assert.throws(() => parseRate('9000Tbit'), UnitParseError, 'above 1 PB/s');
  assert.throws(() => parseRate('-1Mbit'), UnitParseError);
});

test('round-trips values per resource', () => {
  assert.equal(parseResourceValue('cpu', '30%'), 0.3);
  assert.equal(parseResourceValue('mem', '1GB'), 1e9);
  assert.equal(formatResourceValue('cpu', 0.3), '30%');
  assert.equal(formatResourceValue('netUp', 1.5e6), '1.5 MB/s');
  assert.equal(formatResourceValue('disk', null), 'no cap');
});

test('one reading everywhere: a bare number above 1 is a percentage, up to 1 a fraction; sizes print up to TB', () => {
  assert.equal(parseFraction('25'), 0.25, 'the dashboard\'s "25" is 25 % in the engine too');
  assert.equal(parseFraction('100'), 1);
  assert.equal(parseFraction('0.25'), 0.25);
  assert.throws(() => parseFraction('101'), UnitParseError);
  assert.deepEqual(readResourceValue('cpu', '25'), { ok: true, value: 0.25 });
  assert.deepEqual(readResourceValue('netUp', '2000 TB/s'), { ok: false, expected: 'a rate such as 500kB/s or 2MB/s (below 1 PB/s)' });
  assert.deepEqual(readResourceValue('netUp', '2000 TB/s', Infinity), { ok: true, value: 2e15 }, 'a caller with a lower limit of its own says it');
  assert.equal(formatResourceValue('mem', 4e12), '4 TB');
  assert.equal(formatResourceValue('cpu', undefined), '–');
});
