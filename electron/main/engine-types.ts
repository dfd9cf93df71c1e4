// What the shell needs from the engine (a structural subset of electron/engine's
// Engine), so the shell's plain modules and their tests do not depend on the
// engine's implementation.
import type { CommandName, CommandResult, EventName, EventPayloads } from '../common/contract.js';

export interface EngineLike {
  invoke<N extends CommandName>(name: N, args: unknown): Promise<CommandResult<N>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void;
  shutdown(opts?: { leaveRunning?: boolean }): Promise<void>;
}
