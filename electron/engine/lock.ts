// One engine per config dir: the desktop app and `interceptor serve` must not both write the
// settings. The lock is a file holding the owner's pid; a lock whose process is gone is taken over.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CommandError } from '../common/contract.js';
import { processAlive } from './process.js';

/** Takes the lock of `configDir`; returns the file to remove when the engine ends. */
export async function acquireLock(configDir: string, nowMs: number): Promise<string> {
  await fs.mkdir(configDir, { recursive: true, mode: 0o700 });
  const file = path.join(configDir, 'engine.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await fs.open(file, 'wx', 0o600);
      await handle.writeFile(JSON.stringify({ pid: process.pid, since: nowMs }));
      await handle.close();
      return file;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let pid = 0;
    try {
      pid = Number((JSON.parse(await fs.readFile(file, 'utf8')) as { pid?: unknown }).pid) || 0;
    } catch {
      // unreadable: a crash while writing it; take it over
    }
    if (pid > 0 && processAlive(pid)) {
      throw new CommandError('conflict', `another Interceptor engine (pid ${pid}) is using ${configDir}; stop it first or use another config dir`);
    }
    await fs.rm(file, { force: true });
  }
  throw new CommandError('conflict', `cannot take the lock ${file}`);
}

export async function releaseLock(file: string): Promise<void> {
  await fs.rm(file, { force: true }).catch(() => undefined);
}
