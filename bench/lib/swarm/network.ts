// Where the swarm's hosts live. `loopback`: every peer is a process on this
// machine's 127.0.0.1. `netns` (P2PLab's model of an edge node behind its own
// access link): every host gets its own network namespace, joined by a veth pair
// to a bridge in a "switch" namespace, with an address in 198.18.0.0/24 (RFC 2544's
// benchmarking range) that exists only inside these namespaces — the machine's
// own namespace has no route to them, so no packet leaves them. A host's link is
// shaped with tc: tbf for the rate, netem for the delay, on the egress of each end
// (the host's end for its upload, the switch's end for its download).
import { execFile, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { appendFileSync } from 'node:fs';
import net from 'node:net';
import { promisify } from 'node:util';
import { netnsListFile } from './cleanup.js';

const run = promisify(execFile);

export interface LinkSpec {
  /** Rate towards the host (its download), bits/s; unlimited if absent. */
  downBitsPerSecond?: number;
  /** Rate from the host (its upload), bits/s; unlimited if absent. */
  upBitsPerSecond?: number;
  /** Delay added to each direction of the host's access link, ms. */
  delayMs?: number;
}

/** P2PLab's DSL line: 2 Mbit/s down, 128 kbit/s up, 30 ms. */
export const DSL: LinkSpec = { downBitsPerSecond: 2_000_000, upBitsPerSecond: 128_000, delayMs: 30 };

export interface Host {
  name: string;
  address: string;
  /** The interface that holds the address (clients that bind to an interface need its name). */
  iface: string;
  /** Its network namespace, or null on the machine's own loopback. */
  netns: string | null;
  /** Runs a command on this host: [] or ['ip', 'netns', 'exec', ns]. */
  prefix: string[];
}

export interface SwarmNetwork {
  readonly kind: 'loopback' | 'netns';
  addHost(name: string, link?: LinkSpec): Promise<Host>;
  close(): Promise<void>;
}

export class LoopbackNetwork implements SwarmNetwork {
  readonly kind = 'loopback';

  async addHost(name: string, link?: LinkSpec): Promise<Host> {
    if (link) throw new Error(`${name}: links are shaped only in netns mode`);
    return { name, address: '127.0.0.1', iface: 'lo', netns: null, prefix: [] };
  }

  async close(): Promise<void> {}
}

const SUBNET = '198.18.0';

export class NetnsNetwork implements SwarmNetwork {
  readonly kind = 'netns';
  private readonly switchNs: string;
  private readonly names: string[] = [];
  private hosts = 0;

  private constructor(
    private readonly id: string,
    private readonly root: string,
  ) {
    this.switchNs = `isw-${id}-switch`;
  }

  /** The switch namespace with its bridge; listed for the reaper before it exists. */
  static async create(id: string, root: string): Promise<NetnsNetwork> {
    if (process.getuid?.() !== 0) throw new Error('netns mode needs root (ip netns add, tc)');
    const n = new NetnsNetwork(id, root);
    await n.addNamespace(n.switchNs);
    await ip(['-n', n.switchNs, 'link', 'add', 'br0', 'type', 'bridge']);
    await ip(['-n', n.switchNs, 'link', 'set', 'br0', 'up']);
    return n;
  }

  async addHost(name: string, link: LinkSpec = {}): Promise<Host> {
    const index = ++this.hosts;
    if (index > 253) throw new Error('at most 253 hosts in netns mode');
    const ns = `isw-${this.id}-${name.replace(/[^A-Za-z0-9-]/g, '-')}`;
    const sw = `v${index}`;
    const address = `${SUBNET}.${index}`;
    await this.addNamespace(ns);
    await ip(['-n', this.switchNs, 'link', 'add', sw, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await ip(['-n', this.switchNs, 'link', 'set', sw, 'master', 'br0']);
    await ip(['-n', this.switchNs, 'link', 'set', sw, 'up']);
    await ip(['-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
    await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
    await shape(ns, 'eth0', link.upBitsPerSecond, link.delayMs);
    await shape(this.switchNs, sw, link.downBitsPerSecond, link.delayMs);
    return { name, address, iface: 'eth0', netns: ns, prefix: ['ip', 'netns', 'exec', ns] };
  }

  /** Deletes every namespace (their veths and qdiscs go with them); the switch last. */
  async close(): Promise<void> {
    for (const ns of [...this.names].reverse()) await ip(['netns', 'del', ns]).catch(() => undefined);
    this.names.length = 0;
  }

  private async addNamespace(ns: string): Promise<void> {
    appendFileSync(netnsListFile(this.root), ns + '\n');
    this.names.push(ns);
    await ip(['netns', 'add', ns]);
    await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  }
}

async function ip(args: string[]): Promise<void> {
  try {
    await run('ip', args);
  } catch (e) {
    throw new Error(`ip ${args.join(' ')}: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`);
  }
}

export const NO_NETEM = "a link delay needs the kernel's netem qdisc (CONFIG_NET_SCH_NETEM), which this kernel lacks: only the rate can be shaped (tbf)";

/** tbf (rate) with a netem child (delay) on the egress of `dev`; nothing when neither is asked. */
async function shape(ns: string, dev: string, bitsPerSecond: number | undefined, delayMs: number | undefined): Promise<void> {
  const tc = async (args: string[]) => {
    try {
      await run('tc', ['-n', ns, 'qdisc', 'add', 'dev', dev, ...args]);
    } catch (e) {
      const stderr = (e as { stderr?: string }).stderr?.trim() ?? '';
      if (args.includes('netem') && /unknown/i.test(stderr)) throw new Error(NO_NETEM);
      throw new Error(`tc -n ${ns} qdisc add dev ${dev} ${args.join(' ')}: ${stderr || (e as Error).message}`);
    }
  };
  const netem = ['netem', 'delay', `${delayMs}ms`, 'limit', '10000'];
  if (bitsPerSecond) {
    const bytesPerSecond = bitsPerSecond / 8;
    const burst = Math.max(2 * 1514, Math.round(bytesPerSecond / 100)); // 10 ms of tokens, at least two frames
    const limit = Math.max(64 * 1024, Math.round(bytesPerSecond / 4)); // 250 ms of queue
    await tc(['root', 'handle', '1:', 'tbf', 'rate', `${Math.round(bitsPerSecond)}bit`, 'burst', String(burst), 'limit', String(limit)]);
    if (delayMs) await tc(['parent', '1:1', 'handle', '10:', ...netem]);
  } else if (delayMs) {
    await tc(['root', 'handle', '1:', ...netem]);
  }
}

/** Namespaces whose name starts with `prefix` (to check that none is left). */
export function namespacesNamed(prefix: string): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(prefix));
}

/** A port that was free on 127.0.0.1 a moment ago (bind to 0, read it back). */
export async function freePort(kind: 'tcp' | 'udp' = 'tcp'): Promise<number> {
  if (kind === 'udp') {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const port = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
