// A whole command line pasted into Command (renderer/src/lib/commandLine.ts): split as a
// POSIX shell splits words, and offered as program + arguments, or as `sh -c` when it
// needs a shell, or refused with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandLineOffer, splitCommandLine } from '../../renderer/src/lib/commandLine.js';

const words = (line: string) => {
  const r = splitCommandLine(line);
  assert.ok(r.ok, line);
  return r.words;
};

test('words as sh splits them: blanks, single and double quotes, backslashes', () => {
  assert.deepEqual(words('python3 -c "print(\'hi there\')"'), ['python3', '-c', "print('hi there')"]);
  assert.deepEqual(words("  transmission-daemon   -f  --config-dir '/home/me/my torrents' "), ['transmission-daemon', '-f', '--config-dir', '/home/me/my torrents']);
  assert.deepEqual(words('echo "a \\"quoted\\" word" \'it\'\\\'\'s\''), ['echo', 'a "quoted" word', "it's"]);
  assert.deepEqual(words('/opt/My\\ App/bin/app --x=""'), ['/opt/My App/bin/app', '--x=']);
  assert.deepEqual(words('a"b"\'c\'d'), ['abcd'], 'quotes join into one word');
  assert.deepEqual(words('"C:\\\\dir" "\\$HOME"'), ['C:\\dir', '$HOME']);
});

test('an unclosed quote is said, not guessed', () => {
  assert.deepEqual(splitCommandLine('python3 -c "print(1)'), { ok: false, error: 'A double quote (") is not closed.' });
  assert.deepEqual(splitCommandLine("echo 'x"), { ok: false, error: "A single quote (') is not closed." });
});

test('the offer: program to Command, the rest to Arguments, NAME=value to Environment', () => {
  assert.equal(commandLineOffer('transmission-daemon'), null, 'one plain word is a program');
  assert.equal(commandLineOffer('  /usr/bin/ipfs  '), null);
  assert.equal(commandLineOffer(''), null);
  assert.deepEqual(commandLineOffer('python3 -c "import time; time.sleep(60)"'), { kind: 'split', command: 'python3', args: ['-c', 'import time; time.sleep(60)'], env: [] });
  assert.deepEqual(commandLineOffer('IPFS_PATH=/srv/ipfs GOMAXPROCS=1 ipfs daemon'), { kind: 'split', command: 'ipfs', args: ['daemon'], env: ['IPFS_PATH=/srv/ipfs', 'GOMAXPROCS=1'] });
  assert.deepEqual(commandLineOffer('"/opt/My App/app"'), { kind: 'split', command: '/opt/My App/app', args: [], env: [] }, 'a quoted path loses its quotes');
});

test('a line that needs a shell is offered as sh -c; one that cannot be split says why', () => {
  assert.deepEqual(commandLineOffer('while :; do date; sleep 1; done'), { kind: 'shell', command: 'sh', args: ['-c', 'while :; do date; sleep 1; done'], syntax: ';' });
  assert.deepEqual(commandLineOffer('syncthing > /tmp/log 2>&1'), { kind: 'shell', command: 'sh', args: ['-c', 'syncthing > /tmp/log 2>&1'], syntax: '>' });
  assert.equal(commandLineOffer('echo "$HOME"')?.kind, 'shell', 'a variable inside double quotes needs the shell');
  assert.deepEqual(commandLineOffer("echo '$HOME'"), { kind: 'split', command: 'echo', args: ['$HOME'], env: [] }, 'single quotes keep $ literal');
  assert.equal(commandLineOffer('python3 -c "x')?.kind, 'cannot');
  assert.deepEqual(commandLineOffer('python3 -c "a\nb"'), { kind: 'cannot', reason: 'An argument spans several lines, but Arguments takes one per line: put it in a script.' });
});
