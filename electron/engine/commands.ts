// The engine's handler of each command of the contract, as a table: a mapped type over the
// command names, so the compiler proves that every command has a handler, taking that
// command's parsed arguments and giving its result (engine.ts builds the table; no casts).
import type { CommandName, CommandResult, ParsedCommandArgs } from '../common/contract.js';

export type CommandHandlers = {
  readonly [N in CommandName]: (args: ParsedCommandArgs<N>) => Promise<CommandResult<N>> | CommandResult<N>;
};

/** Answered while the engine shuts down: they only read. */
export const ANSWERED_WHILE_SHUTTING_DOWN: ReadonlySet<CommandName> = new Set<CommandName>(['getState', 'getEventLog', 'getHistory', 'getUsage', 'getEvents']);

/**
 * Commands that change nothing the state shows. After any other command that succeeded, one
 * `state` event goes out (coalesced with the ones its changes already asked for).
 */
export const LEAVE_STATE_AS_IS: ReadonlySet<CommandName> = new Set<CommandName>([
  'getState',
  'getHistory',
  'getEventLog',
  'getUsage',
  'getEvents',
  'getTerminalBacklog',
  'checkExecutable',
  'writeTerminal',
  'resizeTerminal',
  'listUnits',
  'getQuotas',
]);
