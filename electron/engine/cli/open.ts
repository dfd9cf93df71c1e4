// `interceptor open`: the running server's dashboard in the browser, without the token
// on any command line (a browser's arguments are visible to every user): a private
// (0600) launcher page in the runtime dir carries it and sends the browser on, as
// Jupyter does; the server then swaps the token for a cookie.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CommandError } from '../../common/contract.js';
import { defaultStateDir } from '../server/endpoint.js';
import { writeFileAtomic } from '../settings.js';
import { str, type Parsed } from './args.js';
import { CONNECT_OPTIONS, connect, out } from './remote.js';

export const OPEN_OPTIONS = { ...CONNECT_OPTIONS, print: { type: 'boolean' as const } };

export function launcherPage(url: string): string {
  const attr = url.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<!doctype html>\n<meta charset="utf-8">\n<meta name="referrer" content="no-referrer">\n<meta http-equiv="refresh" content="0;url=${attr}">\n<title>Interceptor</title>\n<p><a href="${attr}">Open the Interceptor dashboard</a></p>\n`;
}

/** $XDG_RUNTIME_DIR/interceptor (private, cleared at logout), else the state dir. */
function launcherDir(stateDir: string): string {
  const runtime = process.env.XDG_RUNTIME_DIR;
  return runtime && path.isAbsolute(runtime) ? path.join(runtime, 'interceptor') : stateDir;
}

/** $BROWSER (a list, as xdg-open and Python's webbrowser read it), else the desktop's opener. */
function openers(): string[] {
  const browser = (process.env.BROWSER ?? '').split(':').filter(Boolean);
  return [...browser, process.platform === 'darwin' ? 'open' : 'xdg-open'];
}

function launch(command: string, target: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, [target], { detached: true, stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}

export async function open(p: Parsed): Promise<number> {
  const remote = await connect(p.values); // proves the server answers and the token is right
  const url = `${remote.origin}/?token=${remote.token}`;
  await remote.close();
  if (p.values.print) {
    out(url + '\n');
    return 0;
  }
  const stateDir = path.resolve(str(p.values['state-dir']) ?? defaultStateDir());
  const dir = launcherDir(stateDir);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const page = path.join(dir, 'open.html');
  await writeFileAtomic(page, launcherPage(url), 0o600);
  const target = pathToFileURL(page).href;
  for (const command of openers()) {
    if (await launch(command, target)) {
      out(`Opening the dashboard (${remote.origin}) in the browser.\n`);
      return 0;
    }
  }
  throw new CommandError('unavailable', `no browser could be started (tried ${openers().join(', ')}): set BROWSER, or open ${target} yourself, or print the URL with \`interceptor open --print\``);
}
