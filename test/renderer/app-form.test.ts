// The add/edit form: what it sends, and the errors it shows before sending.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readForm, type EditorForm } from '../../renderer/src/lib/appForm.js';
import type { ShareEntry } from '../../renderer/src/lib/constraints.js';

const form = (f: Partial<EditorForm> = {}): EditorForm => ({
  name: '',
  command: 'transmission-daemon',
  args: '--foreground\n\n--port 9091\n',
  cwd: '',
  env: 'HOME=/tmp/x\n# comment\nTR_DEBUG=1',
  autostart: true,
  shares: { cpu: '10%', netUp: '500kB/s', netDown: '2 MB/s', disk: '', mem: '512MB' },
  ...f,
});
const others: ShareEntry[] = [{ id: 'o', shares: { cpu: 0.3, netUp: 0, netDown: 0, disk: 0, mem: 0 } }];
const limits = { cap: (r: string) => (r === 'cpu' ? 0.5 : r === 'netUp' ? 1e6 : null), entries: others, selfId: 'new' };

test('reads a valid form into an app definition', () => {
  const read = readForm(form(), limits);
  assert.ok(read.ok);
  if (!read.ok) return;
  assert.deepEqual(read.input, {
    name: 'transmission-daemon',
    command: 'transmission-daemon',
    args: ['--foreground', '--port 9091'],
    env: { HOME: '/tmp/x', TR_DEBUG: '1' },
    autostart: true,
    shares: { cpu: 0.1, netUp: 500e3, netDown: 2e6, disk: 0, mem: 512e6 },
  });
  const withCwd = readForm(form({ cwd: ' /srv ', name: 'Torrents', command: '/usr/bin/transmission-daemon' }), limits);
  assert.ok(withCwd.ok && withCwd.input.cwd === '/srv' && withCwd.input.name === 'Torrents');
});

test('says what is wrong, per field', () => {
  const read = readForm(form({ command: '  ', env: 'GOOD=1\n1BAD=2', shares: { cpu: '30%', netUp: 'fast', netDown: '', disk: '', mem: '' } }), limits);
  assert.equal(read.ok, false);
  if (read.ok) return;
  assert.match(read.errors.command ?? '', /program to run/);
  assert.match(read.errors.name ?? '', /name/);
  assert.match(read.errors.env ?? '', /Line 2/);
  assert.match(read.errors.cpu ?? '', /At most 20%.*cap of 50%/);
  assert.match(read.errors.netUp ?? '', /rate such as/);
});

test('editing an app does not count its own share against itself', () => {
  const mine: ShareEntry[] = [...others, { id: 'me', shares: { cpu: 0.2, netUp: 0, netDown: 0, disk: 0, mem: 0 } }];
  assert.ok(readForm(form({ shares: { cpu: '20%', netUp: '', netDown: '', disk: '', mem: '' } }), { ...limits, entries: mine, selfId: 'me' }).ok);
  assert.equal(readForm(form({ shares: { cpu: '20%', netUp: '', netDown: '', disk: '', mem: '' } }), { ...limits, entries: mine, selfId: 'new' }).ok, false);
});
