// The WebSocket side of `interceptor serve`: the contract's server end (the wire format of
// common/wire.ts). An upgrade needs the token, this server's Host and, from a browser, this
// server's Origin (against cross-site pages). Each client hears every event; a client that
// falls behind holds the apps' terminal output (their ptys pause) and is dropped past 16 MiB.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { EVENT_NAMES, isCommandName } from '../../common/contract.js';
import { errorReply } from '../../common/errors.js';
import { MAX_WIRE_MESSAGE, type WireResponse } from '../../common/wire.js';
import type { Engine } from '../api.js';
import type { RequestGuard } from './guard.js';

export const WS_PATH = '/ws';
/** Past this much unsent, the apps' terminal output is held until the client drains. */
const HOLD_BYTES = 1024 * 1024;
/** Past this much unsent, the client is too slow and is dropped. */
const DROP_BYTES = 16 * 1024 * 1024;

export interface ContractSocket {
  /** Closes every client. */
  close(): void;
}

/** Serves the contract on `server`'s WebSocket upgrades at WS_PATH. */
export function serveContract(server: http.Server, engine: Engine, guard: RequestGuard): ContractSocket {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WIRE_MESSAGE });
  const clients = new Set<WebSocket>();
  let clientSeq = 0;

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length + 1}\r\n\r\n${text}\n`);
      socket.destroy();
    };
    const hostHeader = req.headers.host;
    if (!guard.hostOk(hostHeader)) return refuse(403, 'Forbidden');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${hostHeader}`);
    } catch {
      return refuse(400, 'Bad Request');
    }
    if (url.pathname !== WS_PATH) return refuse(404, 'Not Found');
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${hostHeader}`) return refuse(403, 'Forbidden');
    if (!guard.tokenOk(guard.presentedToken(req, url).token)) return refuse(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.once('close', () => clients.delete(ws));
      serveClient(ws, engine, `ws:${++clientSeq}`);
    });
  });

  return {
    close() {
      for (const ws of clients) ws.terminate();
      wss.close();
    },
  };
}

function serveClient(ws: WebSocket, engine: Engine, key: string): void {
  let holding = false;
  let drainTimer: NodeJS.Timeout | null = null;
  const checkDrain = () => {
    if (ws.bufferedAmount < HOLD_BYTES / 4) {
      holding = false;
      engine.holdTerminalOutput(key, false);
      if (drainTimer) clearInterval(drainTimer);
      drainTimer = null;
    }
  };
  const send = (message: unknown) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > DROP_BYTES) {
      ws.close(1013, 'client too slow');
      return;
    }
    ws.send(JSON.stringify(message));
    if (!holding && ws.bufferedAmount > HOLD_BYTES) {
      holding = true;
      engine.holdTerminalOutput(key, true);
      drainTimer = setInterval(checkDrain, 25);
    }
  };
  const unsubscribe = EVENT_NAMES.map((event) => engine.on(event, (payload) => send({ event, payload })));
  ws.on('message', (raw, isBinary) => {
    if (isBinary) return send({ id: 0, ok: false, error: { code: 'invalid', message: 'binary frames are not accepted' } } satisfies WireResponse);
    void answer(engine, raw.toString()).then(send);
  });
  const cleanup = () => {
    for (const off of unsubscribe) off();
    if (drainTimer) clearInterval(drainTimer);
    engine.holdTerminalOutput(key, false);
  };
  ws.on('close', cleanup);
  ws.on('error', cleanup);
}

/** The reply to one request frame. */
async function answer(engine: Engine, frame: string): Promise<WireResponse> {
  let msg: { id?: unknown; cmd?: unknown; args?: unknown };
  try {
    msg = JSON.parse(frame) as typeof msg;
  } catch {
    return { id: 0, ok: false, error: { code: 'invalid', message: 'not JSON' } };
  }
  const id = typeof msg?.id === 'number' && Number.isSafeInteger(msg.id) ? msg.id : 0;
  if (!isCommandName(msg?.cmd)) return { id, ok: false, error: { code: 'invalid', message: `unknown command "${String(msg?.cmd)}"` } };
  try {
    return { id, ok: true, result: await engine.invoke(msg.cmd, msg.args ?? {}) };
  } catch (error) {
    return { id, ok: false, error: errorReply(error) };
  }
}
