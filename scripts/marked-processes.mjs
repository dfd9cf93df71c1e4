// Processes found by a mark in their environment (NAME=value, which every descendant that keeps
// its environment inherits, wherever it is reparented): how the test runner (run-tests.mjs) and
// the swarm benchmark (bench/lib/swarm) find and end what they started.
import { readdirSync, readFileSync } from 'node:fs';

function isZombie(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat[stat.lastIndexOf(')') + 2];
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

/** Live (not zombie) processes whose environment carries name=value. */
export function markedPids(name, value) {
  const mark = Buffer.from(`\0${name}=${value}\0`);
  const found = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${pid}/environ`)]);
      if (environ.includes(mark) && !isZombie(pid)) found.push(pid);
    } catch {
      /* gone, or a kernel thread */
    }
  }
  return found;
}

/** SIGKILL every marked process once; returns how many there were. Synchronous: usable at process exit. */
export function killMarkedSync(name, value) {
  const pids = markedPids(name, value);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return pids.length;
}
