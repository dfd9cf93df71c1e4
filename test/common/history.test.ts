// The CSV of a usage history (the one printer behind `interceptor history --csv` and the
// dashboard's download): header, UTC times, "all" for the totals, exact numbers, quoting.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CSV_HEADER, csvFileName, usageCsv, type UsageHistory } from '../../electron/common/history.js';

const figures = (cpu: number, netUp: number) => ({ cpu, netUp, netDown: 0, disk: 0, mem: 0 });
const history: UsageHistory = {
  range: '24h',
  stepMs: 300_000,
  from: Date.UTC(2026, 11, 1, 0, 0),
  to: Date.UTC(2026, 11, 2, 0, 0),
  appId: null,
  persistent: true,
  caps: [],
  points: [
    { t: Date.UTC(2026, 11, 1, 0, 0), app: 'seeder', seconds: 60, avg: figures(0.25, 1_500_000), max: figures(0.5, 2_000_000) },
    { t: Date.UTC(2026, 11, 1, 0, 0), app: null, seconds: 60, avg: figures(1 / 3, 1_500_000), max: figures(0.5, 2_000_000) },
  ],
};

test('usage as CSV: a header naming units, one line per bucket and app, RFC 4180 line ends', () => {
  const csv = usageCsv(history);
  assert.ok(csv.endsWith('\r\n'));
  const lines = csv.trimEnd().split('\r\n');
  assert.equal(lines[0], CSV_HEADER);
  assert.equal(CSV_HEADER, 'time,app,cpu_fraction,cpu_fraction_max,up_Bps,up_Bps_max,down_Bps,down_Bps_max,disk_Bps,disk_Bps_max,mem_bytes,mem_bytes_max');
  assert.equal(lines[1], '2026-12-01T00:00:00.000Z,seeder,0.25,0.5,1500000,2000000,0,0,0,0,0,0');
  assert.equal(lines[2], '2026-12-01T00:00:00.000Z,all,0.3333333333,0.5,1500000,2000000,0,0,0,0,0,0', 'ten significant digits, "all" for the totals');
  assert.equal(lines.length, 3);
});

test('an empty history is the header alone; the file name says the range, the app and the day', () => {
  assert.equal(usageCsv({ ...history, points: [] }), `${CSV_HEADER}\r\n`);
  assert.equal(csvFileName('30d', null, history.to), 'interceptor-usage-30d-2026-12-02.csv');
  assert.equal(csvFileName('1h', 'seeder', history.to), 'interceptor-usage-1h-seeder-2026-12-02.csv');
});
