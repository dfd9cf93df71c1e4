// Where the kernel's CPU bandwidth control comes from: the real cgroup hierarchies of this
// machine (root, cgroup v1 cpu controller; cgroup v2 mounted without it), and fixture trees for
// the cgroup v2 cases this machine does not have (a root with the cpu controller, a desktop
// user's delegated scope, a scope shared with other programs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kernelWeight, parseMountinfo, parseSelfCgroup, probeCgroupTree, removeStaleParents } from '../../../electron/engine/cgroups/tree.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('this machine (root, cgroup v1 cpu): a parent with a quota, an app cgroup holding a real process, released and removed', async () => {
  assert.equal(process.getuid?.(), 0, 'these tests run as root, as CI does');
  const probe = probeCgroupTree();
  assert.ok(probe.ok, `no cgroup here: ${probe.ok ? '' : probe.reason}`);
  const tree = probe.tree;
  const child = spawn('/bin/sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
  try {
    assert.match(tree.detail, /cgroup v[12] cpu controller/);
    assert.ok(existsSync(tree.dir));
    const dir = tree.createApp('spinner');
    tree.join('spinner', child.pid!);
    assert.deepEqual(tree.procs('spinner'), [child.pid]);
    const own = readFileSync(`/proc/${child.pid}/cgroup`, 'utf8');
    assert.ok(own.includes(`${path.basename(tree.dir)}/spinner`), own);
    // a quota of 10 % of one core: the spinner gets that and no more
    tree.setQuota(2000, 20000);
    tree.setGroupWeight(true);
    assert.equal(tree.setWeight('spinner', 0.5), tree.version === 1 ? 4096 : 500);
    const ticks = () => {
      const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const v = f.slice(f.lastIndexOf(')') + 2).split(' ');
      return Number(v[11]) + Number(v[12]);
    };
    const t0 = ticks();
    await sleep(2000);
    const cores = (ticks() - t0) / 100 / 2; // clock ticks at 100 Hz over 2 s
    assert.ok(cores > 0.05 && cores < 0.15, `the quota held the spinner to ${cores.toFixed(3)} of a core`);
    assert.ok(tree.throttledPeriods() > 10, 'the parent was throttled');
    tree.releaseApp('spinner');
    assert.ok(!existsSync(dir), 'the app cgroup is removed');
    assert.ok(!readFileSync(`/proc/${child.pid}/cgroup`, 'utf8').includes(path.basename(tree.dir)), 'the process left our cgroups');
  } finally {
    child.kill('SIGKILL');
    tree.dispose();
  }
  assert.ok(!existsSync(tree.dir), 'the parent is removed at dispose');
});

test('cgroup v2 mounted without the cpu controller (this machine): refused with a reason, v1 used instead', () => {
  const probe = probeCgroupTree();
  assert.ok(probe.ok);
  const v2 = parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8')).find((m) => m.fstype === 'cgroup2');
  const v2HasCpu = v2 ? readFileSync(path.join(v2.point, 'cgroup.controllers'), 'utf8').includes('cpu') : false;
  assert.equal(probe.tree.version, v2HasCpu ? 2 : 1);
  probe.tree.dispose();
});

test('stale parents of dead engines are removed, live ones kept', () => {
  const probe = probeCgroupTree();
  assert.ok(probe.ok);
  const base = path.dirname(probe.tree.dir);
  const dead = path.join(base, 'interceptor-999999999-1');
  const live = path.join(base, `interceptor-${process.pid}-999`);
  try {
    mkdirSync(dead);
    mkdirSync(path.join(dead, 'app'));
    mkdirSync(live);
    const removed = removeStaleParents(probe.tree, (pid) => pid === process.pid);
    assert.ok(removed.includes(dead), `removed: ${removed.join(', ')}`);
    assert.ok(!existsSync(dead));
    assert.ok(existsSync(live));
  } finally {
    for (const d of [path.join(dead, 'app'), dead, live]) if (existsSync(d)) rmdirSync(d);
    probe.tree.dispose();
  }
});

// ---- fixture trees: the cgroup v2 cases ----

interface Fixture { root: string; mountinfo: string; selfCgroup: string; cleanup: () => void }

/**
 * A fake cgroup2 mount: directories with the interface files a probe reads and writes. The
 * kernel makes a cgroup's files at mkdir; here the cgroups the probe will make (`makes`) are
 * made beforehand, with theirs.
 */
function fixture(opts: { ownPath: string; rootControllers: string; ownControllers?: string; ownProcs?: number[]; makes?: string[] }): Fixture {
  const base = mkdtempSync(path.join(os.tmpdir(), 'cgfix-'));
  const root = path.join(base, 'sys/fs/cgroup');
  const mkcg = (dir: string, controllers: string, procs: number[] = []) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'cgroup.controllers'), `${controllers}\n`);
    writeFileSync(path.join(dir, 'cgroup.subtree_control'), '\n');
    writeFileSync(path.join(dir, 'cgroup.procs'), procs.map((p) => `${p}\n`).join(''));
  };
  mkcg(root, opts.rootControllers);
  if (opts.ownPath !== '/') mkcg(path.join(root, opts.ownPath), opts.ownControllers ?? '', opts.ownProcs ?? []);
  for (const m of opts.makes ?? []) mkcg(path.join(root, m), '');
  const mountinfo = path.join(base, 'mountinfo');
  writeFileSync(mountinfo, `30 25 0:26 / ${root} rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n`);
  const selfCgroup = path.join(base, 'cgroup');
  writeFileSync(selfCgroup, `0::${opts.ownPath}\n`);
  return { root, mountinfo, selfCgroup, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

test('cgroup v2 as root with the cpu controller: interceptor-<pid>-<n> at the top, cpu enabled for it and its apps', () => {
  const f = fixture({ ownPath: '/', rootControllers: 'cpuset cpu io memory pids', makes: ['interceptor-4242-1', 'interceptor-4242-1/aria2'] });
  try {
    const probe = probeCgroupTree({ mountinfo: f.mountinfo, selfCgroup: f.selfCgroup, uid: 0, pid: 4242, name: 'interceptor-4242-1' });
    assert.ok(probe.ok, probe.ok ? '' : probe.reason);
    assert.equal(probe.tree.version, 2);
    assert.equal(probe.tree.dir, path.join(f.root, 'interceptor-4242-1'));
    assert.match(readFileSync(path.join(f.root, 'cgroup.subtree_control'), 'utf8'), /\+cpu/);
    assert.match(readFileSync(path.join(probe.tree.dir, 'cgroup.subtree_control'), 'utf8'), /\+cpu/);
    // cgroup v2 files: cpu.max and cpu.weight
    probe.tree.setQuota(6000, 20000);
    assert.equal(readFileSync(path.join(probe.tree.dir, 'cpu.max'), 'utf8'), '6000 20000\n');
    probe.tree.setQuota(null, 20000);
    assert.equal(readFileSync(path.join(probe.tree.dir, 'cpu.max'), 'utf8'), 'max 20000\n');
    probe.tree.setGroupWeight(true);
    assert.equal(readFileSync(path.join(probe.tree.dir, 'cpu.weight'), 'utf8'), '10000\n');
    const app = probe.tree.createApp('aria2');
    probe.tree.setWeight('aria2', 0.25);
    assert.equal(readFileSync(path.join(app, 'cpu.weight'), 'utf8'), '250\n');
  } finally {
    f.cleanup();
  }
});

test("cgroup v2: an app leaving its cgroup goes back to the helper's own cgroup for it (its UDP counters), else to the release cgroup", () => {
  const f = fixture({ ownPath: '/', rootControllers: 'cpu memory', makes: ['interceptor-4243-1', 'interceptor-4243-1/qbt', 'system.slice/x.service/interceptor-udp-99'] });
  try {
    const probe = probeCgroupTree({ mountinfo: f.mountinfo, selfCgroup: f.selfCgroup, uid: 0, pid: 4243, name: 'interceptor-4243-1' });
    assert.ok(probe.ok, probe.ok ? '' : probe.reason);
    const appDir = probe.tree.createApp('qbt');
    const home = path.join(f.root, 'system.slice/x.service/interceptor-udp-99');
    const procsOf = (dir: string) => readFileSync(path.join(dir, 'cgroup.procs'), 'utf8');
    writeFileSync(path.join(appDir, 'cgroup.procs'), '7001\n'); // (the fixture's cgroup.procs is a plain file)
    probe.tree.leaveApp('qbt', home);
    assert.equal(procsOf(home), '7001\n');
    assert.equal(procsOf(f.root), '', 'moved to the release cgroup instead of its own');
    // without one (an older helper, or none could be made), or one that is gone: the release cgroup
    probe.tree.leaveApp('qbt', null);
    assert.equal(procsOf(f.root), '7001\n');
    writeFileSync(path.join(f.root, 'cgroup.procs'), '');
    probe.tree.leaveApp('qbt', path.join(f.root, 'system.slice/x.service/interceptor-udp-gone'));
    assert.equal(procsOf(f.root), '7001\n');
  } finally {
    f.cleanup();
  }
});

test('cgroup v2 delegated to a desktop user: the engine moves itself to <own>/engine, apps go under <own>/apps', () => {
  const own = '/user.slice/user-1000.slice/user@1000.service/app.slice/interceptor.scope';
  const f = fixture({
    ownPath: own, rootControllers: 'cpu memory pids', ownControllers: 'cpu memory pids', ownProcs: [5000, 5001],
    makes: [`${own}/engine`, `${own}/apps`],
  });
  try {
    const probe = probeCgroupTree({ mountinfo: f.mountinfo, selfCgroup: f.selfCgroup, uid: 1000, pid: 5000, isOurs: (p) => p === 5000 || p === 5001 });
    assert.ok(probe.ok, probe.ok ? '' : probe.reason);
    const ownDir = path.join(f.root, own);
    assert.equal(probe.tree.dir, path.join(ownDir, 'apps'));
    assert.match(probe.tree.detail, /delegated/);
    assert.equal(readFileSync(path.join(ownDir, 'engine', 'cgroup.procs'), 'utf8'), '5001\n', 'our processes were moved to the engine leaf (the fixture keeps the last write)');
    assert.match(readFileSync(path.join(ownDir, 'cgroup.subtree_control'), 'utf8'), /\+cpu/);
  } finally {
    f.cleanup();
  }
});

test('cgroup v2 refusals say what to do: a scope shared with other programs, no delegation, no cpu controller', () => {
  const own = '/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-terminal.scope';
  const shared = fixture({ ownPath: own, rootControllers: 'cpu memory', ownControllers: 'cpu memory', ownProcs: [5000, 777] });
  const noDelegation = fixture({ ownPath: own, rootControllers: 'cpu memory', ownControllers: 'memory', ownProcs: [5000] });
  const noCpu = fixture({ ownPath: '/', rootControllers: 'memory pids' });
  try {
    const a = probeCgroupTree({ mountinfo: shared.mountinfo, selfCgroup: shared.selfCgroup, uid: 1000, pid: 5000, isOurs: (p) => p === 5000 });
    assert.ok(!a.ok);
    assert.match(a.reason, /also holds other programs \(pid 777\).*Delegate=yes/);
    const b = probeCgroupTree({ mountinfo: noDelegation.mountinfo, selfCgroup: noDelegation.selfCgroup, uid: 1000, pid: 5000 });
    assert.ok(!b.ok);
    assert.match(b.reason, /cpu controller is not delegated to .*app-gnome-terminal\.scope.*systemd-run --user --scope -p Delegate=yes/);
    const c = probeCgroupTree({ mountinfo: noCpu.mountinfo, selfCgroup: noCpu.selfCgroup, uid: 0, pid: 5000 });
    assert.ok(!c.ok);
    assert.match(c.reason, /not available in cgroup v2/);
  } finally {
    shared.cleanup();
    noDelegation.cleanup();
    noCpu.cleanup();
  }
});

test('parsers and the kernel weight mapping', () => {
  const mounts = parseMountinfo('35 25 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct\n36 25 0:31 / /sys/fs/cgroup/with\\040space rw - cgroup2 cgroup2 rw\n');
  assert.deepEqual(mounts[0], { point: '/sys/fs/cgroup/cpu,cpuacct', fstype: 'cgroup', options: ['rw', 'cpu', 'cpuacct'] });
  assert.equal(mounts[1]!.point, '/sys/fs/cgroup/with space');
  const own = parseSelfCgroup('12:cpu,cpuacct:/a\n0::/user.slice/x.scope\n');
  assert.equal(own.get('cpu'), '/a');
  assert.equal(own.get(''), '/user.slice/x.scope');
  assert.equal(kernelWeight(1, 1), 8192);
  assert.equal(kernelWeight(1, 1e-9), 2);
  assert.equal(kernelWeight(1, 1e9), 262144);
  assert.equal(kernelWeight(2, 0), 1);
  assert.equal(kernelWeight(2, 100), 10000);
});
