// ipcMain side of the contract: one handler per command, each checking the sender
// and validating the arguments before the engine sees them; and the forwarding of
// engine events to the window. Takes ipcMain-like objects so tests pass mocks.
import type { IpcMainInvokeEvent } from 'electron';
import { COMMAND_NAMES, EVENT_NAMES, IPC_EVENT_CHANNEL, IPC_PREFIX, parseCommandArgs, type CommandName, type EventName, type EventPayloads } from '../common/contract.js';
import { errorReply } from '../common/errors.js';
import type { EngineLike } from './engine-types.js';
import type { IpcEventMessage, IpcReply } from './ipc-protocol.js';
import { isDashboardUrl, type DashboardOrigin } from './window-security.js';

export type IpcHandler = (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>;
export interface IpcMainLike {
  handle(channel: string, listener: IpcHandler): void;
  removeHandler(channel: string): void;
}

/** The parts of an invoke event a sender check looks at. */
export type SenderEvent = Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>;

export function commandChannel(name: CommandName): string {
  return `${IPC_PREFIX}${name}`;
}

/**
 * A sender is trusted when it is our window's webContents, the message comes from its
 * main frame (not an iframe), and that frame shows our dashboard.
 */
export function createSenderCheck(options: { getWebContentsId: () => number | null; origin: DashboardOrigin }) {
  return (event: SenderEvent): boolean => {
    const expectedId = options.getWebContentsId();
    if (expectedId === null || !event.sender || event.sender.id !== expectedId) return false;
    const frame = event.senderFrame;
    if (!frame) return false; // the frame navigated away or was destroyed
    if (frame.parent !== null) return false;
    let url: string;
    try {
      url = frame.url;
    } catch {
      return false;
    }
    return isDashboardUrl(url, options.origin);
  };
}

export interface IpcHandlerOptions {
  ipcMain: IpcMainLike;
  engine: Pick<EngineLike, 'invoke'>;
  isTrustedSender: (event: SenderEvent) => boolean;
  log?: (message: string) => void;
}

/**
 * Registers `${IPC_PREFIX}${name}` for every command. Each handler resolves to an
 * IpcReply (never rejects), so the renderer gets the CommandError code back intact.
 * Returns a function that removes every handler.
 */
export function registerIpcHandlers(options: IpcHandlerOptions): () => void {
  const log = options.log ?? (() => {});
  const channels: string[] = [];
  for (const name of COMMAND_NAMES) {
    const channel = commandChannel(name);
    options.ipcMain.handle(channel, async (event, ...rest): Promise<IpcReply> => {
      if (!options.isTrustedSender(event)) {
        log(`rejected ${name} from an untrusted sender`);
        return { ok: false, error: { code: 'unauthorized', message: `${name}: sender is not the Interceptor dashboard` } };
      }
      if (rest.length > 1) {
        return { ok: false, error: { code: 'invalid', message: `${name}: expected one argument object` } };
      }
      try {
        const args = parseCommandArgs(name, rest[0]);
        const result = await options.engine.invoke(name, args);
        return { ok: true, result };
      } catch (err) {
        return { ok: false, error: errorReply(err) };
      }
    });
    channels.push(channel);
  }
  return () => {
    for (const channel of channels) options.ipcMain.removeHandler(channel);
  };
}

/**
 * Forwards every engine event to the window on IPC_EVENT_CHANNEL while `send` can
 * deliver (the window exists and is not destroyed). Returns the unsubscribe function.
 */
export function forwardEngineEvents(engine: Pick<EngineLike, 'on'>, send: (channel: string, message: IpcEventMessage) => void): () => void {
  const offs = EVENT_NAMES.map((event) =>
    engine.on(event, (payload: EventPayloads[EventName]) => send(IPC_EVENT_CHANNEL, { event, payload } as IpcEventMessage)),
  );
  return () => {
    for (const off of offs) off();
  };
}
