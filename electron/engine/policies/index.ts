// Policy factory: one policy instance per resource scheduler, selectable by name
// (EngineSettings.policies) without touching anything else.
import { PnsPolicy } from './pns.js';
import { StridePolicy } from './stride.js';
import type { Policy, PolicyName, PolicyOptions } from './policy.js';

export type { ClientId, ClientStatus, Policy, PolicyName, PolicyOptions } from './policy.js';
export { PnsPolicy, DEFAULT_EPOCH } from './pns.js';
export { StridePolicy } from './stride.js';

export function createPolicy(name: PolicyName, options: PolicyOptions = {}): Policy {
  switch (name) {
    case 'pns':
      return new PnsPolicy(options);
    case 'stride':
      return new StridePolicy(options);
    default: {
      const never: never = name;
      throw new Error(`unknown policy ${String(never)}`);
    }
  }
}
