// Idle and lock state from systemd-logind, through `loginctl` (no D-Bus library):
// the user's IdleHint/IdleSinceHint (idle when all of the user's sessions are: the
// desktop sets it after its own idle delay, logind itself for text sessions) and the
// LockedHint of the user's graphical session.
import { execFile } from 'node:child_process';
import type { PowerReading, PowerSource } from './reading.js';

export type Runner = (args: string[]) => Promise<string>;

const realRunner: Runner = (args) =>
  new Promise((resolve, reject) => {
    execFile('loginctl', args, { timeout: 3000, maxBuffer: 64 * 1024, env: { ...process.env, SYSTEMD_PAGER: '', LC_ALL: 'C' } }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });

/** `loginctl show-*` output (Key=value lines) → a map. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return out;
}

const yes = (v: string | undefined): boolean | null => (v === 'yes' ? true : v === 'no' ? false : null);

/** IdleSinceHint is µs since the epoch (CLOCK_REALTIME); 0 when never idle. */
export function idleSecondsFrom(props: Map<string, string>, nowMs: number): number | null {
  const idle = yes(props.get('IdleHint'));
  if (idle === null) return null;
  if (!idle) return 0;
  const since = Number(props.get('IdleSinceHint'));
  if (!Number.isFinite(since) || since <= 0) return null;
  return Math.max(0, (nowMs * 1000 - since) / 1e6);
}

export function logindPowerSource(options: { uid?: number; run?: Runner; now?: () => number } = {}): PowerSource {
  const run = options.run ?? realRunner;
  const uid = options.uid ?? process.getuid?.() ?? 0;
  const now = options.now ?? Date.now;
  return {
    name: 'logind',
    async read(): Promise<PowerReading> {
      let user: Map<string, string>;
      try {
        user = parseProperties(await run(['show-user', String(uid), '--property=IdleHint', '--property=IdleSinceHint', '--property=Display']));
      } catch {
        return { onBattery: null, idleSeconds: null, locked: null }; // no logind, or no session of this user
      }
      let locked: boolean | null = null;
      const display = user.get('Display') ?? '';
      if (/^[A-Za-z0-9_-]{1,64}$/.test(display)) {
        try {
          locked = yes(parseProperties(await run(['show-session', display, '--property=LockedHint'])).get('LockedHint'));
        } catch {
          locked = null;
        }
      }
      return { onBattery: null, idleSeconds: idleSecondsFrom(user, now()), locked };
    },
  };
}
