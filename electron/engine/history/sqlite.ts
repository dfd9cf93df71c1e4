// The history database file: better-sqlite3 loaded at run time (a host whose Node cannot
// load the native module still runs, without a database), WAL journal so a kill -9 loses
// only what was not yet committed, the schema, and a file that cannot be used kept aside
// under a new name (never deleted) with a fresh database in its place.
import { chmodSync, existsSync, mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { USAGE_TABLES } from './schema.js';

/** The part of better-sqlite3's API the history uses. */
export interface Statement {
  run(...params: unknown[]): { changes: number };
  all(...params: unknown[]): unknown[];
  get(...params: unknown[]): unknown;
}
export interface Db {
  prepare(sql: string): Statement;
  exec(sql: string): void;
  pragma(sql: string, options?: { simple: boolean }): unknown;
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
  close(): void;
}
type DbConstructor = new (file: string) => Db;

export const SCHEMA_VERSION = 1;

/** The database cannot be used as it is: kept aside and replaced. */
export class CorruptDatabase extends Error {}

/** SQLite's answer for a file that is not a database or a damaged one. */
export function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return error instanceof CorruptDatabase || code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'));
}

let driver: DbConstructor | Error | null = null;
function loadDriver(): DbConstructor {
  if (driver === null) {
    try {
      driver = createRequire(import.meta.url)('better-sqlite3') as DbConstructor;
    } catch (error) {
      driver = error as Error;
    }
  }
  if (driver instanceof Error) throw new Error(`the SQLite module (better-sqlite3) cannot be loaded: ${driver.message.split('\n')[0]}`);
  return driver;
}

export interface Opened {
  db: Db | null;
  /** Where an unusable file went. */
  keptAside: string | null;
  /** Why the file was kept aside, or why there is no database. */
  problem: string | null;
}

/** Opens (creating) the database at `file`; a corrupt one is renamed to FILE.corrupt-<time> and a fresh one made. */
export function openDatabase(file: string, now: number): Opened {
  let Database: DbConstructor;
  try {
    Database = loadDriver();
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  } catch (error) {
    return { db: null, keptAside: null, problem: (error as Error).message };
  }
  try {
    return { db: openChecked(Database, file), keptAside: null, problem: null };
  } catch (error) {
    if (!isCorruption(error)) return { db: null, keptAside: null, problem: `${file} cannot be opened: ${(error as Error).message}` };
    const reason = (error as Error).message;
    let keptAside: string;
    try {
      keptAside = keepAside(file, now);
    } catch (renameError) {
      return { db: null, keptAside: null, problem: `${file} is damaged (${reason}) and could not be moved aside: ${(renameError as Error).message}` };
    }
    try {
      return { db: openChecked(Database, file), keptAside, problem: `the history database was damaged (${reason})` };
    } catch (again) {
      return { db: null, keptAside, problem: `a new history database could not be made at ${file}: ${(again as Error).message}` };
    }
  }
}

function openChecked(Database: DbConstructor, file: string): Db {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    // what ran when is the owner's business, as settings.json is (the WAL takes the same mode)
    chmodSync(file, 0o600);
    // WAL + NORMAL: a commit survives the process's death (kill -9); only a power loss may take the last ones.
    db.pragma('synchronous = NORMAL');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new CorruptDatabase(`integrity check: ${String(check)}`);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw new Error(`it was written by a newer Interceptor (schema ${version})`);
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function migrate(db: Db): void {
  const usage = USAGE_TABLES.map(
    (table) =>
      `CREATE TABLE IF NOT EXISTS ${table} (t INTEGER NOT NULL, app TEXT NOT NULL, n INTEGER NOT NULL,
        cpu REAL, cpu_max REAL, netUp REAL, netUp_max REAL, netDown REAL, netDown_max REAL, disk REAL, disk_max REAL, mem REAL, mem_max REAL,
        PRIMARY KEY (t, app)) WITHOUT ROWID;`,
  ).join('\n');
  db.exec(`${usage}
    CREATE TABLE IF NOT EXISTS rollup (tier TEXT PRIMARY KEY, upto INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, t INTEGER NOT NULL, kind TEXT NOT NULL, app TEXT, resource TEXT, message TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS events_t ON events (t);
    CREATE INDEX IF NOT EXISTS events_app ON events (app, seq);
    PRAGMA user_version = ${SCHEMA_VERSION};`);
}

/** Renames the file and its WAL and shared-memory files to FILE.corrupt-<time>[-wal|-shm]; returns the new name. */
export function keepAside(file: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  let aside = `${file}.corrupt-${stamp}`;
  for (let i = 1; existsSync(aside); i++) aside = `${file}.corrupt-${stamp}-${i}`;
  renameSync(file, aside);
  for (const suffix of ['-wal', '-shm']) if (existsSync(file + suffix)) renameSync(file + suffix, aside + suffix);
  return aside;
}
