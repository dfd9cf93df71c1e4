// A real swarm on this machine, in seconds, for tests and benchmarks (after
// P2PLab: many peers on one machine, each behind its own emulated link):
//
//   const swarm = await Swarm.create({ payloadBytes: 8e6 });            // or { netns: true }
//   await swarm.addPeer({ client: 'aria2c', role: 'seeder' });           // returns once the tracker lists it
//   const dl = await swarm.addPeer({ client: 'rtorrent', role: 'leecher', wrap: interceptorRun({ down: '2MB/s' }) });
//   const meter = swarm.meter(dl, 'down');                               // kernel TCP counters, every 100 ms
//   await dl.completed();  assert(await dl.verify());
//   meter.steadyRate(swarm.payload.bytes);                               // bytes/s over 25–75 % of the payload
//   swarm.diskMeter(dl);                                                 // its storage reads and dirtied pages, every 100 ms
//   await swarm.close();                                                 // every process, namespace and file
//
// A Syncthing pair shares the payload as a folder: `swarm.addSyncthingPair()`.
// `wrap` is a command prefix for one peer (interceptor run, trickle, ...); peers run
// in their own directory, so it must name files by absolute paths.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerOpen, startReaper, stopReaper, reapSync, unregisterOpen, type Closable } from './swarm/cleanup.js';
import { CLIENT_SETUPS, type TorrentClient } from './swarm/clients.js';
import { DiskMeter, LinkMeter, TransferMeter, type CountAt, type Direction, type MeterTarget } from './swarm/meter.js';
import { LoopbackNetwork, NetnsNetwork, freePort, type Host, type LinkSpec, type SwarmNetwork } from './swarm/network.js';
import { makePayload, makeTorrent, sha256File, type Payload, type Torrent } from './swarm/payload.js';
import { ProcessSet, clientThreadsReport, exists, type Proc } from './swarm/processes.js';
import { prepareSyncthingPair, type FolderStatus, type SyncthingInstance } from './swarm/syncthing.js';
import { startTracker, waitForPeers, waitForSeeders, type Tracker } from './swarm/tracker.js';

export { TORRENT_CLIENTS, downloadSeeder, UPLOAD_LEECHER, type TorrentClient } from './swarm/clients.js';
export { DSL, namespacesNamed, type LinkSpec } from './swarm/network.js';
export { clientCpuSeconds, markedPids } from './swarm/processes.js';
export type { CountAt, Direction, DiskMeter, LinkMeter, SteadyRate, TransferMeter } from './swarm/meter.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `bin/interceptor run [caps] --`, as a wrap prefix: the command as installed (with no cap, its
 * helper starts before node: native/src/front.c). Caps as the CLI takes them ('2MB/s', '50%').
 */
export function interceptorRun(caps: { down?: string; up?: string; cpu?: string; disk?: string; 'cpu-mechanism'?: 'auto' | 'cgroup' | 'ptrace' } = {}): string[] {
  const flags = Object.entries(caps).flatMap(([k, v]) => (v ? [`--${k}`, v] : []));
  return [path.join(REPO, 'bin', 'interceptor'), 'run', ...flags, '--'];
}

/** `trickle -s` as a wrap prefix; rates in bytes/s (trickle's KB are 1024 bytes). */
export function trickleWrap(rates: { downBytesPerSecond?: number; upBytesPerSecond?: number }): string[] {
  const kb = (b: number) => String(Math.max(1, Math.round(b / 1024)));
  return ['trickle', '-s', ...(rates.downBytesPerSecond ? ['-d', kb(rates.downBytesPerSecond)] : []), ...(rates.upBytesPerSecond ? ['-u', kb(rates.upBytesPerSecond)] : [])];
}

export interface SwarmOptions {
  payloadBytes: number;
  /** Each host in its own network namespace behind its own link (needs root); else all on 127.0.0.1. */
  netns?: boolean;
}

export interface PeerOptions {
  client: TorrentClient;
  role: 'seeder' | 'leecher';
  name?: string;
  wrap?: readonly string[];
  /** Its access link (netns mode only). */
  link?: LinkSpec;
  /** A seeder's copy of the payload dropped from the page cache before it starts: it reads it from storage. */
  cold?: boolean;
  /** uTP over UDP only instead of TCP (qBittorrent only; the TCP meter does not see it). */
  transport?: 'tcp' | 'utp';
}

export interface SidePeerOptions {
  wrap?: readonly string[];
  link?: LinkSpec;
}

/** Where a peer lives: its host (address, namespace), listen port and directories. */
interface PeerPlace {
  name: string;
  host: Host;
  /** Its peer-wire listen port. */
  port: number;
  /** Its own directory: configuration, log, state. */
  dir: string;
  /** Where the payload is (a seeder) or lands (a leecher). */
  dataDir: string;
}

export class Peer {
  readonly name: string;
  readonly host: Host;
  readonly port: number;
  readonly dir: string;
  /** Where its copy of the payload is. */
  readonly file: string;
  /** performance.now() when it was started. */
  readonly startedAt = performance.now();
  private readonly sha256: string;
  private doneAt: number | null = null;

  constructor(
    place: PeerPlace,
    readonly client: TorrentClient | 'syncthing',
    readonly role: 'seeder' | 'leecher',
    payload: Payload,
    readonly proc: Proc,
    private readonly isDone: () => Promise<boolean>,
    private readonly reportsComplete?: () => Promise<boolean>,
  ) {
    this.name = place.name;
    this.host = place.host;
    this.port = place.port;
    this.dir = place.dir;
    this.file = path.join(place.dataDir, payload.name);
    this.sha256 = payload.sha256;
  }

  /** Resolves with performance.now() at which its download was seen complete (polled every 50 ms). */
  async completed(timeoutMs = 60_000): Promise<number> {
    const end = performance.now() + timeoutMs;
    let nextAsk = performance.now() + 1000;
    let reportedAt: number | null = null;
    while (this.doneAt === null) {
      const now = performance.now();
      if (await this.isDone().catch(() => false)) this.doneAt = performance.now();
      else if (!this.proc.running()) throw new Error(`${this.name} exited before completing:\n${this.proc.logTail()}`);
      else if (now > end) throw new Error(`${this.name} did not complete in ${timeoutMs} ms:\n${this.proc.logTail()}\nits threads:\n${clientThreadsReport(this.proc.pid)}`);
      else if (reportedAt !== null && now - reportedAt > 3000) throw new Error(`${this.name} says its download is complete, but its completion hook did not run`);
      else {
        // (asked once a second: the hook's marker, polled every 50 ms, is what times a completion)
        if (reportedAt === null && this.reportsComplete && now > nextAsk) {
          nextAsk = now + 1000;
          if (await this.reportsComplete().catch(() => false)) reportedAt = now;
        }
        await sleep(50);
      }
    }
    return this.doneAt;
  }

  /** Whether its copy has the payload's SHA-256. */
  async verify(): Promise<boolean> {
    return exists(this.file) && (await sha256File(this.file)) === this.sha256;
  }
}

export class Swarm implements Closable {
  readonly peers: Peer[] = [];
  /** Every port this swarm took, and those of them that peers listen on for peer-wire connections. */
  private readonly usedPorts = new Set<number>();
  private readonly listenPorts = new Set<number>();
  private readonly meters: (TransferMeter | DiskMeter | LinkMeter)[] = [];
  private tracker: Promise<{ tracker: Tracker; torrent: Torrent }> | null = null;
  private seeders = 0;
  private closed: Promise<void> | null = null;

  private constructor(
    readonly id: string,
    /** The swarm's directory: payload, tracker, one directory per peer. */
    readonly root: string,
    readonly processes: ProcessSet,
    private readonly reaper: number,
    readonly network: SwarmNetwork,
    readonly payload: Payload,
  ) {}

  /** Whether each peer has its own network namespace (and address). */
  get netns(): boolean {
    return this.network instanceof NetnsNetwork;
  }

  static async create(opts: SwarmOptions): Promise<Swarm> {
    const id = randomBytes(3).toString('hex');
    const root = mkdtempSync(path.join(os.tmpdir(), `interceptor-swarm-${id}-`));
    chmodSync(root, 0o755); // opentracker reads its directory as `nobody`
    const reaper = startReaper(id, root);
    let network: SwarmNetwork | null = null;
    try {
      network = opts.netns ? await NetnsNetwork.create(id, root) : new LoopbackNetwork();
      mkdirSync(path.join(root, 'payload'));
      const swarm = new Swarm(id, root, new ProcessSet(id), reaper, network, makePayload(path.join(root, 'payload'), opts.payloadBytes));
      registerOpen(swarm);
      return swarm;
    } catch (e) {
      await network?.close();
      reapSync(id, root);
      stopReaper(reaper);
      throw e;
    }
  }

  /** The .torrent of the payload (starts the tracker on first use). */
  async torrent(): Promise<Torrent> {
    return (await this.startTracker()).torrent;
  }

  /** Listen ports of every peer: what makes a connection peer-wire traffic. */
  get peerPorts(): ReadonlySet<number> {
    return this.listenPorts;
  }

  async addPeer(opts: PeerOptions): Promise<Peer> {
    const { tracker, torrent } = await this.startTracker();
    const place = await this.peerPlace(opts.name ?? `${opts.client}-${opts.role}-${this.peers.length + 1}`, opts.link);
    if (opts.role === 'seeder') {
      copyFileSync(this.payload.path, path.join(place.dataDir, this.payload.name));
      // Written back now, not during the download: a gigabyte of dirty pages written back while a
      // client downloads made its time vary by ±25 % from run to run (native 4.7–7.5 s for 1000 MB).
      spawnSync('sync');
      // (GNU dd's way to ask the kernel to drop a whole file's cached pages)
      if (opts.cold) spawnSync('dd', [`if=${path.join(place.dataDir, this.payload.name)}`, 'iflag=nocache', 'count=0'], { stdio: 'ignore' });
    }
    const doneMarker = path.join(place.dir, 'done');
    if (opts.transport === 'utp' && opts.client !== 'qbittorrent') throw new Error(`uTP only is set up for qBittorrent, not ${opts.client}`);
    const launch = await CLIENT_SETUPS[opts.client]({ ...place, torrent, role: opts.role, doneMarker, freePort: () => this.newPort(), transport: opts.transport });
    const isDone = async () => opts.role === 'seeder' || exists(doneMarker);
    const peer = this.startPeer(place, opts.client, opts.role, [...(opts.wrap ?? []), ...launch.argv], { tty: launch.tty }, isDone, launch.reportsComplete);
    if (opts.role === 'seeder') await whileRunning(peer.proc, waitForSeeders(tracker, torrent.infoHash, ++this.seeders, 60_000));
    return peer;
  }

  /** Resolves once the tracker has seen at least `count` leechers announce (each is up and listening). */
  async leechersAnnounced(count: number, timeoutMs = 60_000): Promise<void> {
    const { tracker, torrent } = await this.startTracker();
    await waitForPeers(tracker, torrent.infoHash, 'incomplete', count, timeoutMs);
  }

  /** Two Syncthing instances sharing the payload's folder: the sender has it, the receiver syncs it. */
  async addSyncthingPair(opts: { sender?: SidePeerOptions; receiver?: SidePeerOptions } = {}): Promise<{ sender: Peer; receiver: Peer }> {
    const n = this.peers.length;
    const s = await this.peerPlace(`syncthing-sender-${n + 1}`, opts.sender?.link);
    const r = await this.peerPlace(`syncthing-receiver-${n + 2}`, opts.receiver?.link);
    copyFileSync(this.payload.path, path.join(s.dataDir, this.payload.name));
    const [senderRun, receiverRun] = await prepareSyncthingPair(s, r);
    const start = (place: PeerPlace, run: SyncthingInstance, role: 'seeder' | 'leecher', wrap: readonly string[] = [], done: (st: FolderStatus) => boolean) =>
      this.startPeer(place, 'syncthing', role, [...wrap, ...run.argv], { env: run.env }, async () => done(await run.rest.folderStatus()));
    const sender = start(s, senderRun, 'seeder', opts.sender?.wrap, (st) => st.state === 'idle' && st.localFiles >= 1);
    await sender.completed(60_000); // its folder is scanned: it has something to send
    const receiver = start(r, receiverRun, 'leecher', opts.receiver?.wrap, (st) => st.state === 'idle' && st.globalBytes >= this.payload.bytes && st.needTotalItems === 0);
    return { sender, receiver };
  }

  /** Starts metering a peer's peer-wire traffic in one direction, at the client or on the wire; stopped by close(). */
  meter(peer: Peer, direction: Direction, at: CountAt = 'client'): TransferMeter {
    return this.started(new TransferMeter(this.meterTarget(peer), direction, () => this.listenPorts, at));
  }

  /** The UDP payload a peer's access link carried, every 100 ms (netns mode; see LinkMeter). */
  linkMeter(peer: Peer, direction: Direction): LinkMeter {
    if (!peer.host.netns) throw new Error(`${peer.name}: a link meter needs netns mode (on loopback every peer shares lo)`);
    return this.started(new LinkMeter(this.meterTarget(peer), direction, peer.host.iface));
  }

  /** The disk traffic of a peer's client processes, every `periodMs` (see DiskMeter). */
  diskMeter(peer: Peer, periodMs?: number): DiskMeter {
    return this.started(new DiskMeter(this.meterTarget(peer), periodMs));
  }

  /** What a meter of `peer` samples: its process tree, its namespace, and every tree of the swarm (to tell its CPU from others'). */
  private meterTarget(peer: Peer): MeterTarget {
    return { pid: peer.proc.pid, netns: peer.host.netns, swarmRoots: () => this.processes.all.filter((p) => p.running()).map((p) => p.pid) };
  }

  /** A meter now running, stopped by close(). */
  private started<M extends TransferMeter | DiskMeter | LinkMeter>(m: M): M {
    this.meters.push(m);
    return m;
  }

  /** Stops every process (TERM, then KILL, then whatever carries the swarm's mark), deletes the namespaces and the directory. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await Promise.all(this.meters.map((m) => m.stop()));
      await this.processes.stopAll();
      await this.network.close();
      rmSync(this.root, { recursive: true, force: true });
      stopReaper(this.reaper);
      unregisterOpen(this);
    })();
    return this.closed;
  }

  closeSync(): void {
    reapSync(this.id, this.root);
    stopReaper(this.reaper);
  }

  private startTracker(): Promise<{ tracker: Tracker; torrent: Torrent }> {
    this.tracker ??= (async () => {
      const host = await this.network.addHost('tracker');
      const [tcpPort, udpPort] = [await this.newPort(), await freePort('udp')];
      const torrent = await makeTorrent(this.payload, `http://${host.address}:${tcpPort}/announce`, path.join(this.root, 'payload', 'payload.torrent'));
      const tracker = await startTracker({ host, dir: path.join(this.root, 'tracker'), infoHashes: [torrent.infoHash], tcpPort, udpPort, processes: this.processes });
      return { tracker, torrent };
    })();
    return this.tracker;
  }

  private async peerPlace(name: string, link: LinkSpec | undefined): Promise<PeerPlace> {
    if (this.peers.some((p) => p.name === name)) throw new Error(`a peer named ${name} already exists`);
    const host = await this.network.addHost(name, link);
    const port = await this.newPort();
    this.listenPorts.add(port);
    const dir = path.join(this.root, 'peers', name);
    const dataDir = path.join(dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    return { name, host, port, dir, dataDir };
  }

  /** Runs `argv` on the place's host (its log in client.log), as a peer of this swarm. */
  private startPeer(
    place: PeerPlace,
    client: Peer['client'],
    role: Peer['role'],
    argv: string[],
    opts: { tty?: boolean; env?: Record<string, string> },
    isDone: () => Promise<boolean>,
    reportsComplete?: () => Promise<boolean>,
  ): Peer {
    const proc = this.processes.spawn(place.name, [...place.host.prefix, ...argv], { cwd: place.dir, log: path.join(place.dir, 'client.log'), ...opts });
    const peer = new Peer(place, client, role, this.payload, proc, isDone, reportsComplete);
    this.peers.push(peer);
    return peer;
  }

  /** A free TCP port not yet used by this swarm. */
  private async newPort(): Promise<number> {
    for (;;) {
      const p = await freePort('tcp');
      if (!this.usedPorts.has(p)) {
        this.usedPorts.add(p);
        return p;
      }
    }
  }
}

/** `work`, or the process's exit as an error with its log, whichever comes first. */
async function whileRunning<T>(proc: Proc, work: Promise<T>): Promise<T> {
  const died = proc.exited.then((s) => {
    throw new Error(`${proc.name} exited (${s.code ?? s.signal}):\n${proc.logTail()}`);
  });
  return Promise.race([work, died]);
}
