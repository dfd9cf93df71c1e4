// The user's and the system's service units that look like P2P or volunteer-computing
// daemons, for the owner to pick from: found by name on the unit search path, read as
// systemd would, with whether each can be adopted and, if not, why.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import type { UnitCandidate } from '../../common/adopt.js';
import { refusal } from './drop-in.js';
import { readUnit, templateOf, unitSearchPath, type LookupOptions } from './unit-file.js';

/** Daemons Interceptor is for (the package's unit names, Debian's and upstream's). */
const P2P_NAMES =
  /^(transmission(-daemon)?|boinc(-client)?|syncthing|ipfs|kubo|tor|qbittorrent(-nox)?|deluged|rtorrent|aria2c?|i2pd|amule(d)?|mldonkey(-server)?|resilio-sync|btsync|monerod|bitcoind|gnunet|freenet|yacy|retroshare|nicotine|storj|sia(d)?|lbrynet|opentracker)([@.-]|$)/;

export async function listCandidates(o: Omit<LookupOptions, 'scope'> = {}): Promise<UnitCandidate[]> {
  const out: UnitCandidate[] = [];
  for (const scope of ['user', 'system'] as const) {
    const seen = new Set<string>();
    for (const dir of unitSearchPath({ ...o, scope })) {
      const names = await fs.readdir(dir).catch(() => [] as string[]);
      for (const file of names.sort()) {
        if (!file.endsWith('.service') || !P2P_NAMES.test(file)) continue;
        const name = /@\.service$/.test(file) ? file.replace('@.', `@${os.userInfo().username}.`) : file;
        if (seen.has(name) || (templateOf(name) && seen.has(templateOf(name)!))) continue;
        seen.add(name);
        out.push(await candidate(name, { ...o, scope }));
      }
    }
  }
  return out;
}

async function candidate(name: string, o: LookupOptions): Promise<UnitCandidate> {
  try {
    const info = await readUnit(name, o);
    return { name, scope: o.scope, file: info.fragment, command: info.execStart[0]?.words[0] ?? null, adopted: info.ours !== null, problem: refusal(info) };
  } catch (error) {
    return { name, scope: o.scope, file: '', command: null, adopted: false, problem: (error as Error).message };
  }
}
