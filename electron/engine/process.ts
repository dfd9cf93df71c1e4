// Whether a process exists: for the files and cgroups a process leaves behind (the engine's
// lock, a disk probe, a cgroup parent), which may be taken over once their owner is gone.

/** True while `pid` exists, also when it belongs to another user (EPERM); false for what is no pid. */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
