// Which program an app's command names, resolved as the app would be started: through PATH
// (or relative to its working directory), and whether it can be executed.
import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';

/** Resolve a command as the app would be started: through PATH (or relative to cwd), and check it can be executed. */
export async function checkExecutable(
  command: string,
  cwd?: string,
): Promise<{ ok: boolean; resolved: string | null; error: string | null }> {
  if (command.includes('\0')) return { ok: false, resolved: null, error: 'the command contains a NUL byte' };
  const base = cwd ? path.resolve(cwd) : process.cwd();
  if (cwd) {
    try {
      const st = await fs.stat(base);
      if (!st.isDirectory()) return { ok: false, resolved: null, error: `working directory ${base} is not a directory` };
    } catch {
      return { ok: false, resolved: null, error: `working directory ${base} does not exist` };
    }
  }
  const candidates = command.includes('/')
    ? [path.resolve(base, command)]
    : (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin')
        .split(':')
        .filter(Boolean)
        .map((dir) => path.resolve(base, dir, command));
  let firstProblem: string | null = null;
  for (const candidate of candidates) {
    try {
      const st = await fs.stat(candidate);
      if (!st.isFile()) {
        firstProblem ??= `${candidate} is not a regular file`;
        continue;
      }
      try {
        await fs.access(candidate, fsConstants.X_OK);
      } catch {
        firstProblem ??= `${candidate} is not executable (no execute permission)`;
        continue;
      }
      return { ok: true, resolved: candidate, error: null };
    } catch {
      // not here
    }
  }
  if (firstProblem) return { ok: false, resolved: null, error: firstProblem };
  return {
    ok: false,
    resolved: null,
    error: command.includes('/') ? `${candidates[0]} does not exist` : `"${command}" was not found in PATH`,
  };
}
