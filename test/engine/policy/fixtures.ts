// Engine states for the policy tests: apps (their definitions) and profiles.
import { NO_CEILINGS, UNCAPPED, type AppView } from '../../../electron/common/model.js';
import type { PolicyState } from '../../../electron/engine/policy/plan.js';

export const view = (id: string, name: string, shares: Partial<AppView['definition']['shares']> = {}, ceilings: Partial<AppView['definition']['ceilings']> = {}): AppView => ({
  definition: { id, name, command: '/bin/true', args: [], env: {}, autostart: false, shares: { cpu: 0, netUp: 0, netDown: 0, disk: 0, mem: 0, ...shares }, ceilings: { ...NO_CEILINGS, ...ceilings } },
  state: 'stopped',
  pid: null,
  exitCode: null,
  exitSignal: null,
  startedAt: null,
  pausedByOwner: false,
});

export const state = (apps: AppView[] = []): PolicyState => ({
  profileChoice: 'auto',
  profiles: { inUse: { ...UNCAPPED, cpu: 0.5 }, idle: { ...UNCAPPED }, battery: { ...UNCAPPED, netUp: 1e6 } },
  apps,
});
