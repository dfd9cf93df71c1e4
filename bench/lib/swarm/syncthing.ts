// A Syncthing pair: two instances with their own homes, each knowing the other by
// device ID and static address, sharing one folder. Global and local discovery,
// relays, NAT traversal, usage reports, crash reports and upgrades are off, so the
// two talk only to each other over TCP. The REST API listens on a UNIX socket in
// the instance's home: reachable from here whatever namespace the instance is in.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Host } from './network.js';

const run = promisify(execFile);
export const SYNC_FOLDER_ID = 'swarm';

export interface SyncthingSide {
  name: string;
  host: Host;
  /** Its sync-protocol listen port. */
  port: number;
  /** The peer's own directory (its home goes in it). */
  dir: string;
  /** The shared folder. */
  dataDir: string;
}

export interface SyncthingInstance {
  argv: string[];
  env: Record<string, string>;
  rest: SyncthingRest;
}

/** Generates both identities, then writes each one's config naming the other. */
export async function prepareSyncthingPair(a: SyncthingSide, b: SyncthingSide): Promise<[SyncthingInstance, SyncthingInstance]> {
  const [idA, idB] = await Promise.all([generate(a), generate(b)]);
  return [configure(a, idA, b, idB), configure(b, idB, a, idA)];
}

const home = (s: SyncthingSide) => path.join(s.dir, 'home');

async function generate(s: SyncthingSide): Promise<string> {
  const { stdout, stderr } = await run('syncthing', ['generate', `--home=${home(s)}`, '--no-default-folder']);
  const id = /Device ID: ([A-Z0-9-]+)/.exec(stdout + stderr)?.[1];
  if (!id) throw new Error(`syncthing generate printed no device ID: ${stdout}${stderr}`);
  return id;
}

function configure(self: SyncthingSide, selfId: string, other: SyncthingSide, otherId: string): SyncthingInstance {
  const generated = readFileSync(path.join(home(self), 'config.xml'), 'utf8');
  const version = /<configuration version="(\d+)"/.exec(generated)?.[1] ?? '36';
  const apiKey = randomBytes(16).toString('hex');
  const socket = path.join(home(self), 'gui.sock');
  mkdirSync(self.dataDir, { recursive: true });
  const device = (id: string, name: string, address: string) =>
    `  <device id="${id}" name="${name}" compression="never" introducer="false"><address>${address}</address></device>`;
  const options: Record<string, string> = {
    listenAddress: `tcp://${self.host.address}:${self.port}`,
    globalAnnounceEnabled: 'false',
    localAnnounceEnabled: 'false',
    relaysEnabled: 'false',
    natEnabled: 'false',
    stunKeepaliveStartS: '0',
    urAccepted: '-1',
    autoUpgradeIntervalH: '0',
    crashReportingEnabled: 'false',
    startBrowser: 'false',
    setLowPriority: 'false', // it would renice itself: not what the other clients do
    reconnectionIntervalS: '1',
  };
  const xml = [
    `<configuration version="${version}">`,
    `  <folder id="${SYNC_FOLDER_ID}" label="${SYNC_FOLDER_ID}" path="${self.dataDir}" type="sendreceive" rescanIntervalS="3600" fsWatcherEnabled="false">`,
    `    <device id="${selfId}"></device>`,
    `    <device id="${otherId}"></device>`,
    '  </folder>',
    device(selfId, self.name, 'dynamic'),
    device(otherId, other.name, `tcp://${other.host.address}:${other.port}`),
    `  <gui enabled="true" tls="false"><address>${socket}</address><apikey>${apiKey}</apikey></gui>`,
    '  <options>',
    ...Object.entries(options).map(([k, v]) => `    <${k}>${v}</${k}>`),
    '  </options>',
    '</configuration>',
    '',
  ].join('\n');
  writeFileSync(path.join(home(self), 'config.xml'), xml);
  return {
    argv: ['syncthing', 'serve', `--home=${home(self)}`, '--no-browser', '--no-restart', '--no-upgrade'],
    env: { STNOUPGRADE: '1', STNORESTART: '1' },
    rest: new SyncthingRest(socket, apiKey),
  };
}

export interface FolderStatus {
  state: string;
  globalBytes: number;
  localFiles: number;
  needBytes: number;
  needTotalItems: number;
}

export class SyncthingRest {
  constructor(
    readonly socketPath: string,
    private readonly apiKey: string,
  ) {}

  folderStatus(): Promise<FolderStatus> {
    return this.get(`/rest/db/status?folder=${SYNC_FOLDER_ID}`) as Promise<FolderStatus>;
  }

  get(pathname: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = http.get({ socketPath: this.socketPath, path: pathname, headers: { 'X-API-Key': this.apiKey } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`${pathname}: HTTP ${res.statusCode} ${body}`));
          try {
            resolve(JSON.parse(body));
          } catch (e) {
            reject(e as Error);
          }
        });
      });
      req.on('error', reject);
      req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    });
  }
}
