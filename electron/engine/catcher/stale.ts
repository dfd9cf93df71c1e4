// Control-socket directories an engine left behind when it was killed (SIGKILL, a crash: nothing
// ran its close). An engine opening its own sweeps them: ours (same owner), named as
// CatcherServer.listen names them, older than a minute (one being made now has no socket yet),
// and with nothing listening on their socket (a connection is refused, or there is no socket).
// (Not /proc/net/unix: it lists the sockets of our network namespace alone, and an engine in
// another one, `ip netns exec`, would look dead.)
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const NAME = /^interceptor-catcher-[A-Za-z0-9]{6}$/;
export const STALE_AFTER_MS = 60_000;

/** Whether something accepts connections on the Unix socket at `file` (connected, then closed at once). */
function listening(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(file);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    // ECONNREFUSED: a socket file no one listens on; ENOENT: no socket; anything else: leave it be
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code !== 'ECONNREFUSED' && e.code !== 'ENOENT'));
  });
}

/** Removes the stale directories in `base`; returns their paths. Errors leave a directory where it is. */
export async function sweepStaleCatcherDirs(base: string, now = Date.now()): Promise<string[]> {
  const uid = process.getuid?.();
  const removed: string[] = [];
  for (const name of await fs.readdir(base).catch(() => [] as string[])) {
    if (!NAME.test(name)) continue;
    const dir = path.join(base, name);
    const st = await fs.lstat(dir).catch(() => null);
    if (!st?.isDirectory() || st.uid !== uid || now - st.mtimeMs < STALE_AFTER_MS) continue;
    if (await listening(path.join(dir, 'catcher.sock'))) continue;
    await fs.rm(dir, { recursive: true, force: true }).then(
      () => removed.push(dir),
      () => undefined,
    );
  }
  return removed;
}
