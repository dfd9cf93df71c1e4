// Real P2P clients under Interceptor, side by side in one run, on the swarm test bed
// (bench/lib/swarm.ts). Per client:
//   - uncapped: completion time of a download natively, under `interceptor run` (ratio
//     native/interceptor; the product targets >= 0.95x; an uncapped app runs untrapped,
//     docs/untrapped-until-capped.md) and under `interceptor run` with the helper trapping
//     from the start as for a capped app (INTERCEPTOR_HELPER_TRAP_ALWAYS=1): what the
//     untrapped start saves (ratio trapped/interceptor); with --bare also under a bare
//     supervisor that traps the same calls and answers each at once, from another process
//     (`sysbench wrap`): what interception itself costs before the helper does any work;
//     the tools in turn in each of --repeat rounds; completion, transfer (from the first
//     payload byte) and data (first payload byte until the payload was written) times;
//   - capped: the steady rate (25–75 % of the payload, from the kernel's TCP
//     counters) under --down and --up caps, with `interceptor run` and with `trickle`
//     as the peer tool; error against the cap (the product targets ±2 %);
//   - the CPU that the helper and the engine used per MB moved, from /proc.
//   - with --cpu-caps=1,...: a download under `interceptor run --cpu N%` by ptrace stops and by
//     the kernel's bandwidth control (a cgroup), and natively: completion time and the CPU the
//     client used over its download, as a share of the machine (the product targets the cap).
// qbittorrent-utp: qBittorrent over uTP only (UDP) at both ends, each peer in its own network
// namespace, measured by its access link's frame counters (LinkMeter): the TCP meter cannot see UDP.
// Every run is a fresh swarm. A down run: the client under test downloads from a
// native aria2c seeder (rtorrent in network namespaces: qBittorrent; see downloadSeeder); an up run: the client under test seeds to a native aria2c (Transmission,
// rtorrent: qBittorrent; see UPLOAD_LEECHER) leecher (Syncthing: the receiving / the sending instance). Beside each rate, the
// cores that other processes used meanwhile: figures taken on a busy machine are
// not the product's.
//
//   node --import tsx bench/swarm.ts [--quick] [--clients=aria2c,qbittorrent,transmission,rtorrent,syncthing,qbittorrent-utp]
//        [--caps=0.5,2,8|none] [--directions=down,up] [--tools=interceptor,trickle] [--seconds=6]
//        [--uncapped-mb=200] [--repeat=1] [--netns] [--link=MBIT] [--cpu-caps=1] [--cpu-mb=12]
//        [--no-uncapped]
//
// --link=MBIT (implies --netns): the uncapped downloads go through an access link of that
// rate (tbf on the downloading host's link), as a real line would pace them; without it
// they run at loopback speed, where the per-call cost of interception shows most.
// --link-peer: beside trickle, the client natively behind an access link of the cap's rate
// (tbf in a network namespace; the link counts frames, so ~4 % of it goes to headers): what
// a real line of that speed gives the same client.
// --quick: one client (the first of --clients, aria2c by default), one cap (2 MB/s),
// small payloads. --repeat=N: each cell is the median of N runs. Writes the tables to
// bench/results/swarm-output.txt.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Swarm, clientCpuSeconds, downloadSeeder, TORRENT_CLIENTS, UPLOAD_LEECHER, type LinkSpec, interceptorRun, trickleWrap, type Direction, type Peer, type SteadyRate, type TorrentClient } from './lib/swarm.js';
import { requireHelper } from './lib/helper-apps.js';
import { buildSysbench, SYSBENCH } from './lib/sysbench.js';
import { chartSvg, writeSvgAndPng, type Series } from './lib/svg.js';

/** qbittorrent-utp: qBittorrent over uTP only (UDP), both ends, each peer in its own namespace (its link's counters measure it). */
type Client = TorrentClient | 'syncthing' | 'qbittorrent-utp';
type Tool = 'native' | 'interceptor' | 'trickle' | 'link' | 'bare' | 'trapped';
type CapTool = Exclude<Tool, 'native' | 'bare' | 'trapped'>;

const args = process.argv.slice(2);
const opt = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const quick = args.includes('--quick');
const linkMbit = opt('link') === undefined ? null : Number(opt('link'));
if (linkMbit !== null && !(linkMbit > 0)) throw new Error(`--link=${opt('link')}: a rate in Mbit/s, e.g. --link=1000`);
const netns = args.includes('--netns') || linkMbit !== null;
/**
 * The cap tools run beside each other: --tools=interceptor,trickle,link, else interceptor and trickle,
 * and with --link-peer also link (each cap as a native client behind a tbf link of that rate: a real
 * line's pacing).
 */
const CAP_TOOLS: readonly CapTool[] = ['interceptor', 'trickle', 'link'];
const capTools = (opt('tools')?.split(',') as CapTool[] | undefined) ?? CAP_TOOLS.filter((t) => t !== 'link' || args.includes('--link-peer'));
if (!capTools.every((t) => CAP_TOOLS.includes(t))) throw new Error(`--tools=${opt('tools')}: a list of ${CAP_TOOLS.join(', ')}`);
const directions = (opt('directions') ?? 'down,up').split(',') as Direction[];
if (!directions.every((d) => d === 'down' || d === 'up')) throw new Error(`--directions=${opt('directions')}: down, up or both`);
const CLIENTS: readonly Client[] = [...TORRENT_CLIENTS, 'syncthing', 'qbittorrent-utp'];
const allClients = (opt('clients') ?? CLIENTS.join(',')).split(',') as Client[];
if (!allClients.every((c) => CLIENTS.includes(c))) throw new Error(`--clients=${opt('clients')}: a list of ${CLIENTS.join(', ')}`);
const clients = quick ? allClients.slice(0, 1) : allClients;
const caps = quick ? [2] : opt('caps') === 'none' ? [] : (opt('caps') ?? '0.5,2,8').split(',').map(Number);
const windowSeconds = Number(opt('seconds') ?? (quick ? 3 : 6));
const uncappedBytes = Number(opt('uncapped-mb') ?? (quick ? 40 : 200)) * 1e6;
const repeat = Math.max(1, Number(opt('repeat') ?? 1));
const skipUncapped = args.includes('--no-uncapped');
/** The uncapped runs' peer beside native: the helper trapping from the start, or (--bare) the bare supervisor. */
const peerTool: Tool = args.includes('--bare') ? 'bare' : 'trapped';
const cpuCaps = (opt('cpu-caps') ?? '').split(',').filter(Boolean).map(Number);
if (!cpuCaps.every((c) => c > 0 && c <= 100)) throw new Error(`--cpu-caps=${opt('cpu-caps')}: percents of the machine, e.g. --cpu-caps=1,5`);
const cpuBytes = Number(opt('cpu-mb') ?? 12) * 1e6;
const MB = 1e6;

interface RunResult {
  /** From the start of the peer that downloads to its completion. */
  completionMs: number;
  /** From its first payload byte (as the meter saw it) to its completion; null if the meter saw none. */
  transferMs: number | null;
  /**
   * From its first payload byte to the moment it had written the whole payload (its disk counts,
   * every 20 ms): the transfer without the client's own wait to report it, which for qBittorrent is a
   * status timer of ~1.5 s (its completion lands a tick apart from run to run). Null unless asked.
   */
  dataMs: number | null;
  rate: SteadyRate | null;
  /** CPU seconds the client under test used over transferMs (sampled every 100 ms), if measured. */
  transferCpuS: number | null;
}

/**
 * One fresh swarm: the client under test in `direction`, wrapped by `wrap`, against a native peer
 * (downloadSeeder's seeder, or UPLOAD_LEECHER's leecher); `link` (netns mode) is the client under test's
 * access link; below `slowestRate` (bytes/s) the run is taken to have stalled.
 */
async function runOnce(client: Client, direction: Direction, wrap: string[], payloadBytes: number, slowestRate: number, link?: LinkSpec, timeData = false): Promise<RunResult> {
  const utp = client === 'qbittorrent-utp';
  const swarm = await Swarm.create({ payloadBytes, netns: netns || link !== undefined || utp });
  try {
    let measured: Peer;
    let finisher: Peer;
    if (utp) {
      const seeder = await swarm.addPeer({ client: 'qbittorrent', role: 'seeder', name: direction === 'up' ? 'under-test' : 'seeder', transport: 'utp', ...(direction === 'up' ? { wrap, link } : {}) });
      finisher = await swarm.addPeer({ client: 'qbittorrent', role: 'leecher', name: direction === 'down' ? 'under-test' : 'leecher', transport: 'utp', ...(direction === 'down' ? { wrap, link } : {}) });
      measured = direction === 'up' ? seeder : finisher;
    } else if (client === 'syncthing') {
      const pair = await swarm.addSyncthingPair(direction === 'down' ? { receiver: { wrap, link } } : { sender: { wrap, link } });
      [measured, finisher] = [direction === 'down' ? pair.receiver : pair.sender, pair.receiver];
    } else if (direction === 'down') {
      await swarm.addPeer({ client: downloadSeeder(client, swarm.netns), role: 'seeder', name: 'seeder' });
      measured = finisher = await swarm.addPeer({ client, role: 'leecher', name: 'under-test', wrap, link });
    } else {
      measured = await swarm.addPeer({ client, role: 'seeder', name: 'under-test', wrap, link });
      finisher = await swarm.addPeer({ client: UPLOAD_LEECHER[client], role: 'leecher', name: 'leecher' });
    }
    const meter = utp ? swarm.linkMeter(measured, direction) : swarm.meter(measured, direction);
    const disk = timeData && measured === finisher ? swarm.diskMeter(measured, 20) : null;
    // (sampled while it runs: a process that has exited takes its CPU with it)
    const cpu: { t: number; s: number }[] = [];
    const sample = () => cpu.push({ t: performance.now(), s: Math.max(cpu.at(-1)?.s ?? 0, clientCpuSeconds(measured.proc.pid)) });
    const sampler = setInterval(sample, 100);
    let doneAt: number;
    try {
      doneAt = await finisher.completed(60_000 + (payloadBytes / slowestRate) * 1000);
      sample();
    } finally {
      clearInterval(sampler);
    }
    if (!(await finisher.verify())) throw new Error(`${finisher.name}: the copy does not have the payload's hash`);
    const firstByte = meter.samples.find((x) => x.bytes > 0);
    const transferMs = measured === finisher && firstByte ? doneAt - firstByte.t : null;
    const cpuBefore = firstByte ? cpu.filter((x) => x.t <= firstByte.t).at(-1)?.s ?? 0 : 0;
    const written = disk?.reachedAt(payloadBytes) ?? null;
    const dataMs = firstByte && written !== null ? written - firstByte.t : null;
    return { completionMs: doneAt - finisher.startedAt, transferMs, dataMs, rate: meter.steadyRate(payloadBytes), transferCpuS: transferMs === null ? null : cpu.at(-1)!.s - cpuBefore };
  } finally {
    await swarm.close();
  }
}

/** `repeat` runs of `fn`: the one with the median `key`; a failure only if every run failed. */
async function median(what: string, key: (r: RunResult) => number, fn: () => Promise<RunResult>): Promise<RunResult | string> {
  const [runs] = await interleavedRuns([{ what, run: fn }]);
  return medianOf(runs!, key);
}

/** The run with the median `key`, or the failure if every run failed (a string). */
function medianOf(runs: RunResult[] | string, key: (r: RunResult) => number): RunResult | string {
  if (typeof runs === 'string') return runs;
  return [...runs].sort((a, b) => key(a) - key(b))[Math.floor(runs.length / 2)]!;
}

/**
 * `repeat` rounds, each running every one of `runs` once in turn, so a drift of the machine
 * weighs on all alike, each round starting one further along (what one run leaves behind, such
 * as its payload's writeback, falls on each of the others in turn): for each, the runs that
 * finished, or a failure if every one failed.
 */
async function interleavedRuns(runs: { what: string; run: () => Promise<RunResult> }[]): Promise<(RunResult[] | string)[]> {
  const done: RunResult[][] = runs.map(() => []);
  const failures: string[] = runs.map(() => '');
  for (let round = 1; round <= repeat; round++) {
    for (const i of runs.map((_, k) => (k + round - 1) % runs.length)) {
      const { what, run } = runs[i]!;
      const r = await attempt(what, run);
      if (typeof r === 'string') failures[i] = r;
      else done[i]!.push(r);
      // every run on stderr, so a median's spread can be seen
      const s = (ms: number | null) => (ms === null ? '-' : (ms / 1000).toFixed(2));
      if (repeat > 1 && typeof r !== 'string') console.error(`  ${what}: run ${round}: completion ${s(r.completionMs)} s, transfer ${s(r.transferMs)} s, data ${s(r.dataMs)} s`);
    }
  }
  return done.map((d, i) => (d.length ? d : failures[i]!));
}

async function attempt<T>(what: string, fn: () => Promise<T>): Promise<T | string> {
  try {
    return await fn();
  } catch (e) {
    const message = (e as Error).message;
    console.error(`  ${what}: failed: ${message.slice(0, 2000)}`);
    if (/completion hook did not run/.test(message)) return 'no completion signal';
    return /did not complete/.test(message) ? 'stalled (no completion)' : /exited/.test(message) ? 'client exited' : `failed: ${message.split('\n')[0]!.slice(0, 20)}`;
  }
}

const lines: string[] = [];
const say = (line: string) => {
  console.log(line);
  lines.push(line);
};
const pad = (s: string, n: number) => s.padEnd(n);
const cpuMsPerMB = (r: SteadyRate | null) => (r ? (r.overheadCpuSecondsPerMB * 1000).toFixed(1) : '-');

function wrapFor(tool: Tool, direction: Direction, capMBs: number | null): string[] {
  if (tool === 'native' || tool === 'link') return [];
  if (tool === 'bare') return [SYSBENCH, 'wrap'];
  if (tool === 'trapped') return ['env', 'INTERCEPTOR_HELPER_TRAP_ALWAYS=1', ...interceptorRun({})];
  const bytes = capMBs === null ? undefined : capMBs * MB;
  if (tool === 'trickle') return trickleWrap(direction === 'down' ? { downBytesPerSecond: bytes } : { upBytesPerSecond: bytes });
  const cap = capMBs === null ? undefined : `${capMBs}MB/s`;
  return interceptorRun(direction === 'down' ? { down: cap } : { up: cap });
}

/** The access link of the uncapped downloads (--link), else none (loopback speed). */
const link: LinkSpec | undefined = linkMbit === null ? undefined : { downBitsPerSecond: linkMbit * 1e6 };
/** An uncapped download slower than this (bytes/s) has stalled (every client moves > 50 MB/s on loopback). */
const uncappedSlowest = Math.min(5 * MB, linkMbit === null ? Infinity : (0.25 * linkMbit * 1e6) / 8);

async function uncapped(client: Client): Promise<void> {
  const tools = ['native', peerTool, 'interceptor'] as const;
  const runs = await interleavedRuns(tools.map((tool) => ({ what: `${client} uncapped ${tool}`, run: () => runOnce(client, 'down', wrapFor(tool, 'down', null), uncappedBytes, uncappedSlowest, link, true) })));
  // each column the median of its own figure: qBittorrent's completion swings by a tick of its
  // status timer, which its data time does not see
  type Figure = 'completionMs' | 'transferMs' | 'dataMs';
  const figure = (key: Figure) => runs.map((r) => medianOf(r, (x) => x[key] ?? Infinity)).map((r) => (typeof r === 'string' ? r : r[key]));
  const seconds = (ms: number | null | string) => (typeof ms === 'string' ? ms : ms === null ? '-' : (ms / 1000).toFixed(2));
  const ratio = (a: number | null | string, b: number | null | string) => (typeof a === 'number' && typeof b === 'number' && a > 0 && b > 0 ? `${(a / b).toFixed(3)}x` : '-');
  const columns = (key: Figure) => {
    const [n, b, i] = figure(key) as [number | null | string, number | null | string, number | null | string];
    return [seconds(n), seconds(b), seconds(i), ratio(n, i), ratio(b, i)];
  };
  const intercepted = medianOf(runs[2]!, (r) => r.completionMs);
  const cells = [...columns('completionMs'), ...columns('transferMs'), ...columns('dataMs'), typeof intercepted === 'string' ? '-' : cpuMsPerMB(intercepted.rate)];
  say(`${pad(client, 13)} ${cells.map((c) => c.padStart(12)).join(' ')}`);
}

async function capped(client: Client, direction: Direction, capMBs: number): Promise<void> {
  const payload = Math.max(4 * MB, Math.round((capMBs * MB * windowSeconds) / 0.5));
  const cell = (r: RunResult | string) => {
    if (typeof r === 'string') return pad(r.slice(0, 29), 30);
    if (!r.rate) return pad('no steady rate measured', 30);
    const mbs = r.rate.bytesPerSecond / MB;
    return pad(`${mbs.toFixed(3)} (${((mbs / capMBs - 1) * 100).toFixed(1)} %)`, 22) + pad(`${r.rate.othersCores.toFixed(2)}`, 8);
  };
  const results: Partial<Record<CapTool, RunResult | string>> = {};
  for (const tool of capTools) {
    const what = `${client} ${direction} ${capMBs} MB/s ${tool}`;
    const bitsPerSecond = capMBs * MB * 8;
    const link: LinkSpec | undefined = tool !== 'link' ? undefined : direction === 'down' ? { downBitsPerSecond: bitsPerSecond } : { upBitsPerSecond: bitsPerSecond };
    results[tool] = await median(what, (r) => r.rate?.bytesPerSecond ?? 0, () => runOnce(client, direction, wrapFor(tool, direction, capMBs), payload, 0.25 * capMBs * MB, link));
    const r = results[tool];
    if (tool !== 'link' && typeof r !== 'string' && r.rate) plotted.push({ client, direction, tool, capMBs, errorPercent: (r.rate.bytesPerSecond / MB / capMBs - 1) * 100 });
  }
  const intercepted = results.interceptor;
  const cpu = intercepted === undefined || typeof intercepted === 'string' ? '-' : cpuMsPerMB(intercepted.rate);
  say(`${pad(client, 13)} ${pad(direction, 5)} ${capMBs.toFixed(1).padStart(5)}  ${capTools.map((tool) => cell(results[tool]!)).join(' ')} ${cpu.padStart(9)}`);
}

/** A download under a CPU cap (percent of the machine): natively, by ptrace stops, by a cgroup. */
async function cpuCapped(client: TorrentClient, percent: number): Promise<void> {
  const ncpu = os.availableParallelism();
  const cells: string[] = [];
  for (const mechanism of ['native', 'ptrace', 'cgroup'] as const) {
    const wrap = mechanism === 'native' ? [] : interceptorRun({ cpu: `${percent}%`, 'cpu-mechanism': mechanism });
    const r = await median(`${client} cpu ${percent} % ${mechanism}`, (x) => x.transferMs ?? Infinity, () => runOnce(client, 'down', wrap, cpuBytes, 0.01 * MB));
    if (typeof r === 'string' || r.transferMs === null || r.transferCpuS === null) cells.push(pad(typeof r === 'string' ? r.slice(0, 25) : 'no transfer measured', 26));
    else cells.push(pad(`${(r.transferMs / 1000).toFixed(2)} s ${((r.transferCpuS / (r.transferMs / 1000) / ncpu) * 100).toFixed(2)} %`, 26));
  }
  say(`${pad(client, 13)} ${`${percent} %`.padStart(6)}  ${cells.join(' ')}`);
}

/** Every capped cell with a steady rate, for the plot. */
const plotted: { client: Client; direction: Direction; tool: 'interceptor' | 'trickle'; capMBs: number; errorPercent: number }[] = [];
const CLIENT_COLORS: Record<Client, string> = { aria2c: '#1f77b4', qbittorrent: '#d62728', transmission: '#2ca02c', rtorrent: '#9467bd', syncthing: '#ff7f0e', 'qbittorrent-utp': '#8c564b' };

/** Error against the cap per client, one panel per direction: Interceptor solid, trickle dashed. */
function plot(dir: string): string {
  const panel = (direction: Direction) => {
    const series: Series[] = [];
    for (const client of clients) {
      for (const tool of ['interceptor', 'trickle'] as const) {
        const points = plotted.filter((p) => p.client === client && p.direction === direction && p.tool === tool).map((p) => [p.capMBs, Math.max(-10, Math.min(10, p.errorPercent))] as [number, number]);
        if (points.length) series.push({ label: `${client} ${tool}`, color: CLIENT_COLORS[client], points, dashed: tool === 'trickle' });
      }
    }
    return { title: `--${direction} cap: steady rate vs the cap`, xLabel: 'cap (MB/s)', yLabel: 'error (%)', series, yMin: -10, yMax: 10 };
  };
  const svg = chartSvg(`Real clients under caps on ${netns ? 'network namespaces' : 'loopback'}: Interceptor (solid) and trickle (dashed); errors beyond ±10 % drawn at the edge`, [panel('down'), panel('up')], 460, 380);
  const base = path.join(dir, netns ? 'swarm-caps-netns' : 'swarm-caps');
  return writeSvgAndPng(svg, `${base}.svg`, `${base}.png`);
}

async function main(): Promise<void> {
  requireHelper();
  buildSysbench();
  const started = new Date();
  say(`swarm benchmark ${started.toISOString()}: clients ${clients.join(', ')}; ${netns ? 'each peer in its own network namespace' : 'loopback'}`);
  say(`rates in MB/s (10^6 B/s), steady = 25–75 % of the payload (window ≈ ${windowSeconds} s at the cap; least-squares slope of 100-ms samples), from the kernel's TCP counters of the client under test`);
  if (clients.includes('qbittorrent-utp')) say('qbittorrent-utp: both ends over uTP only, each in its own network namespace; measured by its link\'s frame counters less 42 B of headers a frame');
  say('others = cores used by processes outside the swarm during the window (the machine has to be quiet for the figures to be the product\'s)');
  say('');
  if (!skipUncapped) {
    say(`uncapped download of ${uncappedBytes / MB} MB from a native ${netns ? 'seeder (aria2c; rtorrent\'s: qBittorrent)' : 'aria2c seeder'}${linkMbit === null ? '' : ` through a ${linkMbit} Mbit/s access link`}: completion time (s)`);
    say('(completion: from the client\'s start, startup included; transfer: from its first payload byte; data: from its first');
    say(' payload byte until it had written the whole payload, without its own wait to report completion; each figure the median');
    say(' of its runs, the tools run in turn in each round;');
    say(
      ` ${peerTool === 'bare' ? 'bare: under a supervisor that traps the same calls and answers each at once, from another process' : 'trap.: under `interceptor run` trapping from the start, as for a capped app'})`,
    );
    const p = peerTool === 'bare' ? 'bare' : 'trap.';
    const heads = ['native s', `${p} s`, 'intercepted s', 'nat./int.', `${p}/int.`, 'transfer nat.', `transfer ${p}`, 'transfer int.', 'nat./int.', `${p}/int.`, 'data nat.', `data ${p}`, 'data int.', 'nat./int.', `${p}/int.`, 'h+e ms/MB'];
    say(`${pad('client', 13)} ${heads.map((h) => h.padStart(12)).join(' ')}`);
    for (const c of clients) await uncapped(c);
    say('');
  }
  if (caps.length) {
    say('capped: steady rate under `interceptor run --down/--up CAP` and under `trickle -s -d/-u CAP`');
    if (capTools.includes('link')) say('link: natively behind a tbf access link of the cap\'s rate (frames; TCP payload is ~96 % of it)');
    say(`client        dir    cap   ${capTools.map((tool) => `${pad(tool === 'link' ? 'link (tbf)' : tool, 22)}${pad('others', 8)}`).join(' ')} h+e ms/MB`);
    for (const c of clients) for (const direction of directions) for (const cap of caps) await capped(c, direction, cap);
    say('');
  }
  if (cpuCaps.length) {
    say(`CPU caps: a download of ${cpuBytes / MB} MB from a native seeder under \`interceptor run --cpu N%\`: transfer time (first payload byte to completion)`);
    say('and the CPU the client used over it, as a share of the whole machine (natively: no cap)');
    say(`client           cap  ${['native', 'ptrace stops', 'cgroup (kernel)'].map((h) => pad(h, 26)).join(' ')}`);
    for (const c of clients) if (c !== 'syncthing' && c !== 'qbittorrent-utp') for (const p of cpuCaps) await cpuCapped(c, p);
    say('');
  }
  say(`took ${((Date.now() - started.getTime()) / 60_000).toFixed(1)} min`);
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  const output = path.join(dir, linkMbit !== null ? `swarm-output-link${linkMbit}.txt` : netns ? 'swarm-output-netns.txt' : 'swarm-output.txt');
  writeFileSync(output, lines.join('\n') + '\n');
  console.log(`wrote ${output}`);
  if (plotted.length) console.log(plot(dir));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
