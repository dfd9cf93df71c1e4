// How each BitTorrent client is set up as a swarm peer: its configuration (in the
// peer's own directory; DHT, local discovery, peer exchange, UPnP/NAT-PMP and uTP
// off, so peers meet only through the tracker and talk only TCP, which the meter
// counts), its command line, and a hook that creates `doneMarker` when its download
// completes (the moment the library takes as the client's completion; the payload's
// hash is then checked by the caller, so a client cannot claim a download it does not have).
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Host } from './network.js';
import type { Torrent } from './payload.js';
import { httpGet } from './tracker.js';

export const TORRENT_CLIENTS = ['aria2c', 'qbittorrent', 'transmission', 'rtorrent'] as const;
export type TorrentClient = (typeof TORRENT_CLIENTS)[number];

export interface ClientSetup {
  /** The peer's own directory: configuration, logs, state. */
  dir: string;
  /** Where the payload is (a seeder) or lands (a leecher). */
  dataDir: string;
  host: Host;
  /** Its peer-wire listen port. */
  port: number;
  torrent: Torrent;
  role: 'seeder' | 'leecher';
  /** Created by the client's completion hook. */
  doneMarker: string;
  /** Another free port, for a client's control interface. */
  freePort: () => Promise<number>;
  /** The peer wire's transport: TCP (default: the meter counts it) or uTP over UDP only (qBittorrent). */
  transport?: 'tcp' | 'utp';
}

/**
 * Who downloads from a client under test that seeds. Transmission 3.00 serves requests in
 * rounds every 500 ms and aria2c keeps few requests outstanding at a low rate: together they
 * reach ~0.4 of any 2 MB/s path — natively behind a 16 Mbit/s tbf link 0.39 MB/s, under
 * --up 2MB/s 0.78 — while a qBittorrent leecher takes the whole 2.000 MB/s. rtorrent resets any
 * peer that sends a bitfield after its first messages, and aria2c announces completed pieces
 * with a bitfield whenever that is no longer than the have messages it replaces (one piece of a
 * torrent of ≤ 32 pieces, two of ≤ 104...): a slow transfer from rtorrent to aria2c stalls —
 * natively too, behind a tbf link of 0.5 MB/s with 8 MB (31 pieces) — and aria2c bans the seeder.
 */
export const UPLOAD_LEECHER: Record<TorrentClient, TorrentClient> = { aria2c: 'aria2c', qbittorrent: 'aria2c', transmission: 'qbittorrent', rtorrent: 'qbittorrent' };

/**
 * Who seeds to a client under test that downloads: aria2c, but rtorrent's seeder is
 * qBittorrent where each peer has its own address (network namespaces). rtorrent opens every
 * connection with two keep-alive messages, and aria2c takes two keep-alives within 5 s for
 * flooding: it drops the connection after ~5 s and they reconnect ~2 s later, again and again,
 * so a download that lasts longer (any capped one) loses a fifth of its time — natively too:
 * rtorrent behind a 0.5 MB/s tbf link got 0.41 MB/s from an aria2c seeder. On loopback a
 * qBittorrent seeder does not connect out and rtorrent does not always connect to it (one
 * native download in three never started), so there aria2c it stays.
 */
export function downloadSeeder(client: TorrentClient, netns: boolean): TorrentClient {
  return client === 'rtorrent' && netns ? 'qbittorrent' : 'aria2c';
}

export interface ClientLaunch {
  argv: string[];
  /** Needs a terminal (rtorrent's curses interface). */
  tty?: boolean;
  /** Whether the client's own interface says the download is complete: to notice a completion
   *  hook that did not run (qBittorrent's AutoRun now and then does not, natively too). */
  reportsComplete?: () => Promise<boolean>;
}

export const CLIENT_SETUPS: Record<TorrentClient, (s: ClientSetup) => Promise<ClientLaunch>> = {
  aria2c: async (s) => ({
    argv: [
      'aria2c',
      '--no-conf=true',
      '--enable-color=false',
      '--summary-interval=0',
      '--console-log-level=notice',
      '--enable-dht=false',
      '--enable-dht6=false',
      '--bt-enable-lpd=false',
      '--enable-peer-exchange=false',
      '--disable-ipv6=true',
      `--interface=${s.host.address}`,
      `--listen-port=${s.port}`,
      `--dir=${s.dataDir}`,
      '--file-allocation=none',
      '--seed-ratio=0.0', // seed until stopped, a leecher too once it has the payload
      ...(s.role === 'seeder'
        ? // re-announce every second: a peer that ignores loopback addresses from the
          // tracker (Transmission) is reached only by the seeder connecting to it
          ['-V', '--bt-tracker-interval=1']
        : [`--on-bt-download-complete=${doneScript(s)}`]),
      s.torrent.path,
    ],
  }),

  qbittorrent: async (s) => {
    const profile = path.join(s.dir, 'profile');
    const config = path.join(profile, 'qBittorrent', 'config');
    mkdirSync(config, { recursive: true });
    const webPort = await s.freePort();
    const ini: Record<string, Record<string, string>> = {
      LegalNotice: { Accepted: 'true' },
      AutoRun: s.role === 'leecher' ? { enabled: 'true', program: doneScript(s) } : { enabled: 'false' },
      BitTorrent: {
        'Session\\DHTEnabled': 'false',
        'Session\\LSDEnabled': 'false',
        'Session\\PeXEnabled': 'false',
        'Session\\BTProtocol': s.transport === 'utp' ? 'UTP' : 'TCP',
        'Session\\Port': String(s.port),
        'Session\\Interface': s.host.iface,
        'Session\\InterfaceName': s.host.iface,
        'Session\\InterfaceAddress': s.host.address,
        // on loopback every peer has the address 127.0.0.1
        'Session\\MultiConnectionsPerIp': 'true',
        'Session\\QueueingSystemEnabled': 'false',
        'Session\\DefaultSavePath': s.dataDir,
      },
      Network: { PortForwardingEnabled: 'false' },
      Preferences: {
        'Connection\\ResolvePeerCountries': 'false', // else it downloads a GeoIP database
        'General\\Locale': 'en',
        'WebUI\\Address': '127.0.0.1',
        'WebUI\\Port': String(webPort),
        'WebUI\\LocalHostAuth': 'false',
      },
    };
    writeFileSync(path.join(config, 'qBittorrent.conf'), iniText(ini));
    const addOptions = s.role === 'seeder' ? ['--skip-hash-check'] : [];
    const reportsComplete = async () => {
      const torrents = JSON.parse(await httpGet(s.host, `http://127.0.0.1:${webPort}/api/v2/torrents/info`)) as { amount_left?: number }[];
      return torrents[0]?.amount_left === 0;
    };
    return { argv: ['qbittorrent-nox', `--profile=${profile}`, `--save-path=${s.dataDir}`, ...addOptions, s.torrent.path], reportsComplete };
  },

  transmission: async (s) => {
    const config = path.join(s.dir, 'config');
    const watch = path.join(config, 'watch');
    mkdirSync(watch, { recursive: true });
    // Transmission 3.00 ignores tracker peers on 127.0.0.0/8 (isMartianAddr), so on
    // loopback it only gets connections that others open to it
    const settings = {
      'dht-enabled': false,
      'lpd-enabled': false,
      'pex-enabled': false,
      'utp-enabled': false,
      'port-forwarding-enabled': false,
      'blocklist-enabled': false,
      'rpc-enabled': false,
      'bind-address-ipv4': s.host.address,
      'bind-address-ipv6': '::1',
      'peer-port': s.port,
      'peer-port-random-on-start': false,
      'download-dir': s.dataDir,
      'incomplete-dir-enabled': false,
      'rename-partial-files': false,
      'ratio-limit-enabled': false,
      'idle-seeding-limit-enabled': false,
      'speed-limit-down-enabled': false,
      'speed-limit-up-enabled': false,
      'watch-dir-enabled': true,
      'watch-dir': watch,
      'script-torrent-done-enabled': s.role === 'leecher',
      'script-torrent-done-filename': doneScript(s),
      'message-level': 1,
    };
    writeFileSync(path.join(config, 'settings.json'), JSON.stringify(settings, null, 2));
    copyFileSync(s.torrent.path, path.join(watch, path.basename(s.torrent.path)));
    return { argv: ['transmission-daemon', '--foreground', '--config-dir', config] };
  },

  rtorrent: async (s) => {
    const session = path.join(s.dir, 'session');
    mkdirSync(session, { recursive: true });
    const rc = [
      `directory.default.set = ${s.dataDir}`,
      `session.path.set = ${session}`,
      `network.port_range.set = ${s.port}-${s.port}`,
      'network.port_random.set = no',
      `network.bind_address.set = ${s.host.address}`,
      `network.local_address.set = ${s.host.address}`,
      'dht.mode.set = disable',
      'protocol.pex.set = no',
      'trackers.use_udp.set = no',
      ...(s.role === 'leecher' ? [`method.set_key = event.download.finished, swarm_done, "execute.nothrow = ${doneScript(s)}"`] : []),
      `load.start = ${s.torrent.path}`,
    ];
    const rcFile = path.join(s.dir, 'rtorrent.rc');
    writeFileSync(rcFile, rc.join('\n') + '\n');
    return { argv: ['rtorrent', '-n', '-o', `import=${rcFile}`], tty: true };
  },
};

/** A script that creates the peer's done marker (hooks want a program, not a command line). */
function doneScript(s: ClientSetup): string {
  const file = path.join(s.dir, 'done.sh');
  writeFileSync(file, `#!/bin/sh\n: > '${s.doneMarker}'\n`, { mode: 0o755 });
  return file;
}

function iniText(sections: Record<string, Record<string, string>>): string {
  return Object.entries(sections)
    .map(([name, keys]) => `[${name}]\n${Object.entries(keys).map(([k, v]) => `${k}=${v}\n`).join('')}`)
    .join('\n');
}
