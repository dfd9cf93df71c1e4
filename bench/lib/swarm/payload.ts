// The swarm's payload: a file of random bytes (so no client or link can compress
// it), its SHA-256 to verify every copy, and a .torrent for it made by mktorrent
// with its info hash (what the tracker's whitelist and the clients' hooks name).
import { execFile } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream, openSync, closeSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Payload {
  /** The file seeders start with. */
  path: string;
  /** Its base name: the name of the torrent's single file and of every copy. */
  name: string;
  bytes: number;
  sha256: string;
}

export interface Torrent {
  path: string;
  /** SHA-1 of the bencoded info dictionary, lower-case hex. */
  infoHash: string;
  announceUrl: string;
}

/** Writes `bytes` random bytes to `dir/name`, hashing them on the way. */
export function makePayload(dir: string, bytes: number, name = 'payload.bin'): Payload {
  const file = path.join(dir, name);
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(file, 'w', 0o644);
  try {
    for (let left = bytes; left > 0; ) {
      const part = chunk.subarray(0, Math.min(left, chunk.length));
      randomFillSync(part);
      hash.update(part);
      writeSync(fd, part);
      left -= part.length;
    }
  } finally {
    closeSync(fd);
  }
  return { path: file, name, bytes, sha256: hash.digest('hex') };
}

/** SHA-256 of a file, hex. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A single-file torrent for the payload, announcing to `announceUrl`. */
export async function makeTorrent(payload: Payload, announceUrl: string, out: string): Promise<Torrent> {
  // 256 KiB pieces (mktorrent's default, BitTorrent's usual); no date, so the same
  // payload and tracker give the same info hash
  await run('mktorrent', ['-d', '-l', '18', '-a', announceUrl, '-n', payload.name, '-o', out, payload.path]);
  return { path: out, infoHash: infoHashOf(readFileSync(out)), announceUrl };
}

/** The info hash of a .torrent: SHA-1 over the exact bytes of its `info` value. */
export function infoHashOf(torrent: Buffer): string {
  const span = topLevelValueSpan(torrent, 'info');
  if (!span) throw new Error('not a torrent: no info dictionary');
  return createHash('sha1').update(torrent.subarray(span[0], span[1])).digest('hex');
}

/** [start, end) of the value of `key` in a bencoded top-level dictionary. */
function topLevelValueSpan(b: Buffer, key: string): [number, number] | null {
  if (b[0] !== 0x64 /* d */) return null;
  let i = 1;
  while (i < b.length && b[i] !== 0x65 /* e */) {
    const keyEnd = skipValue(b, i);
    const k = b.toString('latin1', b.indexOf(0x3a /* : */, i) + 1, keyEnd);
    const valueEnd = skipValue(b, keyEnd);
    if (k === key) return [keyEnd, valueEnd];
    i = valueEnd;
  }
  return null;
}

/** Index just past the bencoded value that starts at `i`. */
function skipValue(b: Buffer, i: number): number {
  const c = b[i];
  if (c === 0x69 /* i */) return b.indexOf(0x65, i) + 1;
  if (c === 0x6c /* l */ || c === 0x64 /* d */) {
    let j = i + 1;
    while (b[j] !== 0x65) j = skipValue(b, j);
    return j + 1;
  }
  const colon = b.indexOf(0x3a, i);
  const length = Number(b.toString('latin1', i, colon));
  if (colon < 0 || !Number.isInteger(length)) throw new Error(`bad bencode at byte ${i}`);
  return colon + 1 + length;
}
