// native/bench/sysbench (the bare seccomp supervisors and timed calls the benchmarks compare
// the helper with), built on demand with the helper.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const SYSBENCH = path.join(repo, 'native', 'build', 'bench', 'sysbench');

/** `make -C native helper bench`; throws if it fails. */
export function buildSysbench(): void {
  const make = spawnSync('make', ['-C', path.join(repo, 'native'), '--no-print-directory', 'helper', 'bench'], { stdio: 'inherit' });
  if (make.status !== 0) throw new Error('make -C native bench failed');
}
