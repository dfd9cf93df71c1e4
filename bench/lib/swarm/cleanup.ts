// Cleanup that happens however the swarm's owner ends: `close()` normally; on
// SIGINT/SIGTERM/SIGHUP the open swarms are closed, then the signal is raised again;
// on process exit a synchronous sweep; and if the owner is killed outright
// (SIGKILL, a test runner's timeout), a detached reaper shell notices that it is
// gone and kills the marked processes, deletes the namespaces listed in the swarm's
// netns.list and removes its directory.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { MARKER_ENV, killMarkedSync } from './processes.js';

export interface Closable {
  close(): Promise<void>;
  /** Best effort, synchronous: for process exit. */
  closeSync(): void;
}

const open = new Set<Closable>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function registerOpen(c: Closable): void {
  if (open.size === 0) install();
  open.add(c);
}

export function unregisterOpen(c: Closable): void {
  open.delete(c);
  if (open.size === 0) uninstall();
}

function onSignal(signal: NodeJS.Signals): void {
  uninstall();
  void Promise.allSettled([...open].map((c) => c.close())).then(() => process.kill(process.pid, signal));
}

function onExit(): void {
  for (const c of open) c.closeSync();
}

function install(): void {
  for (const s of SIGNALS) process.on(s, onSignal);
  process.on('exit', onExit);
}

function uninstall(): void {
  for (const s of SIGNALS) process.off(s, onSignal);
  process.off('exit', onExit);
}

/** The file where the swarm lists the namespaces it created, one a line, for the reaper. */
export const netnsListFile = (root: string): string => path.join(root, 'netns.list');

const REAPER = `
owner=$1; id=$2; root=$3
while kill -0 "$owner" 2>/dev/null; do sleep 1; done
for p in /proc/[0-9]*; do
  grep -qzx "${MARKER_ENV}=$id" "$p/environ" 2>/dev/null && kill -9 "\${p#/proc/}" 2>/dev/null
done
if [ -f "$root/netns.list" ]; then
  while read -r ns; do ip netns del "$ns" 2>/dev/null; done < "$root/netns.list"
fi
rm -rf "$root"
`;

/** Starts the reaper for swarm `id`; returns its pid (its process group). */
export function startReaper(id: string, root: string): number {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== MARKER_ENV) env[k] = v;
  const child = spawn('sh', ['-c', REAPER, 'swarm-reaper', String(process.pid), id, root], { detached: true, stdio: 'ignore', env });
  child.unref();
  if (child.pid === undefined) throw new Error('could not start the swarm reaper (sh)');
  return child.pid;
}

export function stopReaper(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/** What the reaper does, now and synchronously: for process exit. */
export function reapSync(id: string, root: string): void {
  killMarkedSync(id);
  let names: string[] = [];
  try {
    names = readFileSync(netnsListFile(root), 'utf8').split('\n').filter(Boolean);
  } catch {
    /* no namespaces */
  }
  for (const ns of names) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  rmSync(root, { recursive: true, force: true });
}
