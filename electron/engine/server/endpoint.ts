// Where a running `interceptor serve` is found, stable across restarts: the token in
// <state>/token (mode 0600, created once, never on a command line) and the port in
// <state>/server.json (the default port, or the one taken when it was busy). The state
// dir is $XDG_STATE_HOME/interceptor (~/.local/state/interceptor).
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { CommandError } from '../../common/contract.js';
import { writeFileAtomic } from '../settings.js';

/** The dashboard's port unless the owner gives one (or it is taken: then one is picked and kept). */
export const DEFAULT_PORT = 7329;
export const TOKEN_FILE = 'token';
export const ENDPOINT_FILE = 'server.json';
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32,256}$/;

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_STATE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'interceptor');
}

const EndpointSchema = z
  .object({
    host: z.string().min(1).max(255),
    port: z.number().int().min(1).max(65535),
    /** The serving process, null after it stopped. */
    pid: z.number().int().positive().nullable(),
  })
  .strict();
export type Endpoint = z.infer<typeof EndpointSchema>;

/** The server's token or port cannot be used: what is wrong and what to do. */
export class EndpointError extends CommandError {
  constructor(message: string) {
    super('unavailable', message);
  }
}

/** The origin a client connects to: 127.0.0.1 for a server bound to every interface. */
export function endpointOrigin(e: Pick<Endpoint, 'host' | 'port'>): string {
  const host = e.host === '0.0.0.0' || e.host === '::' ? '127.0.0.1' : net.isIPv6(e.host) ? `[${e.host}]` : e.host;
  return `http://${host}:${e.port}`;
}

export async function readEndpoint(stateDir: string): Promise<Endpoint | null> {
  let text: string;
  try {
    text = await fs.readFile(path.join(stateDir, ENDPOINT_FILE), 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = EndpointSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function writeEndpoint(stateDir: string, endpoint: Endpoint): Promise<void> {
  return writeFileAtomic(path.join(stateDir, ENDPOINT_FILE), JSON.stringify(EndpointSchema.parse(endpoint), null, 2) + '\n', 0o600);
}

/**
 * The token file must be ours, a regular file, and private: a token others can read
 * lets them start programs as us.
 */
async function checkPrivate(file: string): Promise<void> {
  const st = await fs.lstat(file);
  if (!st.isFile()) throw new EndpointError(`${file} is not a regular file`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new EndpointError(`${file} belongs to another user (uid ${st.uid})`);
  if ((st.mode & 0o077) !== 0) throw new EndpointError(`${file} can be read by other users (mode ${(st.mode & 0o777).toString(8)}): remove it and start \`interceptor serve\` again for a new token`);
}

/** A client reads the token; never creates it. */
export async function readToken(stateDir: string): Promise<string> {
  const file = path.join(stateDir, TOKEN_FILE);
  try {
    await checkPrivate(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new EndpointError(`no token in ${file}: start the server once with \`interceptor serve\``);
    throw error;
  }
  const token = (await fs.readFile(file, 'utf8')).trim();
  if (!TOKEN_PATTERN.test(token)) throw new EndpointError(`${file} does not hold a token (32-256 characters of A-Z a-z 0-9 _ -)`);
  return token;
}

/** The server's token: the one kept in the state dir, or a new one written there (0600) the first time. */
export async function loadOrCreateToken(stateDir: string): Promise<{ token: string; created: boolean }> {
  await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });
  const file = path.join(stateDir, TOKEN_FILE);
  const fresh = randomBytes(32).toString('hex');
  try {
    const handle = await fs.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      await handle.writeFile(fresh + '\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    return { token: fresh, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return { token: await readToken(stateDir), created: false };
}
