// packaging/fleet (docs/fleet.md): the files a fleet installs, checked with the real tools where
// they run here — systemd-analyze verify for the units, `interceptor apply` of the policy against
// a real server, promtool for the scrape configuration, ansible-playbook --syntax-check, kustomize
// for the Kubernetes manifests — and the manifests' structure where no cluster runs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { cli, startServe, userDirs } from '../engine/cli/cli-helpers.js';
import { ROOT, ensureBuilt, tempDir } from '../engine/helpers.js';

const FLEET = path.join(ROOT, 'packaging/fleet');
const read = (rel: string) => readFileSync(path.join(FLEET, rel), 'utf8');
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

before(ensureBuilt);

test('every YAML file parses', () => {
  for (const rel of ['policy.yaml', 'kustomization.yaml', 'ansible/playbook.yml', 'kubernetes/daemonset.yaml', 'prometheus/prometheus.yml', 'prometheus/prometheus-kubernetes.yml']) {
    for (const doc of parseAllDocuments(read(rel))) assert.deepEqual(doc.errors, [], rel);
  }
});

test('the systemd units pass systemd-analyze verify (the package\'s /usr/bin/interceptor: this checkout\'s bin)', (t) => {
  const { dir, cleanup } = tempDir('interceptor-fleet-');
  t.after(cleanup);
  const units = readdirSync(path.join(FLEET, 'systemd'));
  assert.deepEqual(units.sort(), ['interceptor-apply.path', 'interceptor-apply.service', 'interceptor.service']);
  for (const u of units) writeFileSync(path.join(dir, u), read(`systemd/${u}`).replaceAll('/usr/bin/interceptor ', `${path.join(ROOT, 'bin/interceptor.js')} `));
  const r = spawnSync('systemd-analyze', ['verify', ...units], { encoding: 'utf8', env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` } });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stderr.split('\n').filter((l) => l.includes('interceptor')), [], 'no warning about our units');
  const apply = read('systemd/interceptor-apply.service');
  assert.match(apply, /^ExecStart=\/usr\/bin\/interceptor apply -f \/etc\/interceptor\/policy.yaml --state-dir \/var\/lib\/interceptor\/state$/m);
  assert.match(read('systemd/interceptor.service'), /--state-dir \/var\/lib\/interceptor\/state$/m, 'serve and apply share the state dir (port and token)');
});

test('the policy applies to a real server, and applying it again changes nothing', { timeout: 60_000 }, async (t) => {
  const { env } = userDirs(t);
  await startServe(t, [], env);
  const file = path.join(FLEET, 'policy.yaml');
  const first = cli(['apply', '-f', file], env);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^\+ .*Syncthing/m);
  const again = cli(['apply', '-f', file], env);
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stdout, /^[+~-] /m, again.stdout);
  const exported = parse(cli(['export'], env).stdout) as Obj;
  assert.equal(exported.caps.idle.cpu, '75%');
  assert.equal(exported.apps[0].name, 'Syncthing');
});

test('the scrape configuration passes promtool check config (token and targets files beside it)', (t) => {
  const { dir, cleanup } = tempDir('interceptor-fleet-');
  t.after(cleanup);
  copyFileSync(path.join(FLEET, 'prometheus/prometheus.yml'), path.join(dir, 'prometheus.yml'));
  const check = () => spawnSync('promtool', ['check', 'config', path.join(dir, 'prometheus.yml')], { encoding: 'utf8' });
  assert.notEqual(check().status, 0, 'without the token file it fails: the check is real');
  writeFileSync(path.join(dir, 'interceptor.token'), 'a'.repeat(64) + '\n', { mode: 0o600 });
  // what the playbook writes from its inventory
  writeFileSync(path.join(dir, 'interceptor-targets.json'), JSON.stringify([{ targets: ['10.0.0.1:7329', '10.0.0.2:7329'] }]));
  const r = check();
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('ansible-playbook --syntax-check accepts the playbook', (t) => {
  const { dir, cleanup } = tempDir('interceptor-fleet-');
  t.after(cleanup);
  const inventory = path.join(dir, 'inventory.ini');
  writeFileSync(inventory, '[interceptor_nodes]\nnode1 ansible_host=10.0.0.1\n[prometheus]\nprom ansible_host=10.0.0.9\n');
  const r = spawnSync('ansible-playbook', ['--syntax-check', '-i', inventory, path.join(FLEET, 'ansible/playbook.yml')], { encoding: 'utf8', env: { ...process.env, ANSIBLE_LOCAL_TEMP: dir, HOME: dir } });
  assert.ok(!r.error, `ansible-playbook is needed (Debian: apt-get install ansible): ${r.error?.message}`);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const plays = parse(read('ansible/playbook.yml')) as Obj[];
  assert.deepEqual(plays.map((p) => p.hosts), ['interceptor_nodes', 'prometheus']);
  const copies = plays[0]!.tasks.filter((task: Obj) => task['ansible.builtin.copy']).map((task: Obj) => task['ansible.builtin.copy'].src ?? task['ansible.builtin.copy'].dest);
  assert.ok(copies.includes('../policy.yaml') && copies.includes('../systemd/{{ item }}'), 'the same policy and units as the other paths');
});

/**
 * What `kubectl apply -k packaging/fleet` sends: kustomize's rendering where kubectl is installed
 * (not a Debian package), else the same documents put together by hand as kustomize does
 * (the namespace set, the ConfigMap generated from the file).
 */
function rendered(): Obj[] {
  const r = spawnSync('kubectl', ['kustomize', FLEET], { encoding: 'utf8' });
  if (!r.error) {
    assert.equal(r.status, 0, r.stderr);
    return parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
  }
  const k = parse(read('kustomization.yaml')) as Obj;
  const docs = k.resources.flatMap((f: string) => parseAllDocuments(read(f)).map((d) => d.toJS() as Obj));
  for (const g of k.configMapGenerator) {
    docs.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: g.name, namespace: k.namespace }, data: Object.fromEntries(g.files.map((f: string) => [f, read(f)])) });
  }
  return docs;
}

test('Kubernetes: the DaemonSet with the same policy as a ConfigMap; its structure holds together (no cluster here)', () => {
  const docs = rendered();
  const kind = (k: string) => docs.filter((d) => d.kind === k);
  const [cm] = kind('ConfigMap');
  assert.equal(cm!.data['policy.yaml'], read('policy.yaml'), 'the ConfigMap is policy.yaml itself');
  const [ds] = kind('DaemonSet');
  assert.equal(ds!.apiVersion, 'apps/v1');
  assert.equal(kind('Namespace')[0]!.metadata.name, ds!.metadata.namespace);
  const spec = ds!.spec.template.spec;
  for (const [k, v] of Object.entries(ds!.spec.selector.matchLabels as Obj)) assert.equal(ds!.spec.template.metadata.labels[k], v, 'the selector matches the pods');
  assert.equal(spec.hostNetwork, true, '/metrics on the node address Prometheus discovers');
  const volumes = new Map((spec.volumes as Obj[]).map((v) => [v.name, v]));
  assert.equal(volumes.get('policy')!.configMap.name, cm!.metadata.name, 'the policy volume is the generated ConfigMap');
  assert.equal(volumes.get('token')!.secret.secretName, 'interceptor-token');
  const containers = [...spec.initContainers, ...spec.containers] as Obj[];
  for (const c of containers) for (const m of c.volumeMounts as Obj[]) assert.ok(volumes.has(m.name), `${c.name}: volume ${m.name}`);
  const engine = spec.containers.find((c: Obj) => c.name === 'engine');
  assert.deepEqual(engine.args.slice(0, 5), ['serve', '--host', '0.0.0.0', '--port', '7329']);
  assert.equal(engine.ports[0].containerPort, 7329);
  const policy = spec.containers.find((c: Obj) => c.name === 'policy');
  const mount = policy.volumeMounts.find((m: Obj) => m.name === 'policy').mountPath;
  assert.match(policy.command.at(-1), new RegExp(`interceptor apply -f ${mount}/policy.yaml --state-dir /var/lib/interceptor/state`));
  assert.ok(engine.args.join(' ').includes('--state-dir /var/lib/interceptor/state'));
  assert.deepEqual(spec.initContainers[0].command.slice(-1), ['/var/lib/interceptor/state/token']);
  const scrape = parse(read('prometheus/prometheus-kubernetes.yml')) as Obj;
  assert.equal(scrape.scrape_configs[0].relabel_configs[0].replacement, '${1}:7329', 'Prometheus scrapes the port the engine listens on');
});
