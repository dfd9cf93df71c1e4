// The dashboard's side of adopting (the contract's listUnits, adoptUnit, releaseUnit): the same
// operations as the CLI's, through the engine's own contract. The launcher the drop-in runs must
// reach this engine through the API of `interceptor serve`, so the engine must know its state dir;
// a system unit's drop-in needs sudo without a password here (no terminal to ask in).
import { existsSync } from 'node:fs';
import type { AdoptResult, ReleaseResult, UnitCandidate } from '../../common/adopt.js';
import { CommandError, type InterceptorApi, type ParsedCommandArgs } from '../../common/contract.js';
import { ZERO_SHARES } from '../../common/model.js';
import { interceptorCommand } from '../cli/service.js';
import { adoptUnit, releaseUnit } from './adopt.js';
import { listCandidates } from './candidates.js';
import type { SystemAccess } from './systemd.js';

const PACKAGED_CLI = '/usr/bin/interceptor';

export class UnitAdoption {
  constructor(
    private readonly api: Pick<InterceptorApi, 'invoke'>,
    /** The state dir of `interceptor serve` (its port and token); none in the desktop app. */
    private readonly stateDir: string | undefined,
    private readonly log: (line: string) => void,
  ) {}

  list(): Promise<UnitCandidate[]> {
    return listCandidates();
  }

  adopt(a: ParsedCommandArgs<'adoptUnit'>): Promise<AdoptResult> {
    if (!this.stateDir) throw new CommandError('unavailable', 'adopting a unit needs `interceptor serve`: its launcher reaches the engine through the API of serve');
    return adoptUnit(
      this.api,
      { unit: a.name, scope: a.scope, shares: { ...ZERO_SHARES, ...a.shares }, engineDown: a.engineDown, name: a.appName, launcher: launcher(), stateDir: this.stateDir },
      this.access(a.scope),
    );
  }

  release(a: ParsedCommandArgs<'releaseUnit'>): Promise<ReleaseResult> {
    return releaseUnit(this.api, { unit: a.name, scope: a.scope }, this.access(a.scope));
  }

  private access(scope: 'user' | 'system'): SystemAccess {
    return { scope, offline: false, interactive: false, say: this.log };
  }
}

/** Node and this package's bin; inside Electron (no plain Node) the .deb's command. */
function launcher(): string[] {
  if (!process.versions.electron) return interceptorCommand();
  if (existsSync(PACKAGED_CLI)) return [PACKAGED_CLI];
  throw new CommandError('unavailable', `adopting a unit needs the \`interceptor\` command (${PACKAGED_CLI}, installed by the .deb)`);
}
