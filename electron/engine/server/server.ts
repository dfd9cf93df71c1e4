// `interceptor serve`: the built dashboard over HTTP and the contract over a
// WebSocket, on 127.0.0.1 only unless told otherwise. Starting a program is code
// execution, so every request must carry the random token (query on the first page
// load → HttpOnly SameSite=Strict cookie; or Authorization: Bearer). The Host header
// is checked against DNS rebinding and the Origin of WebSocket upgrades against
// cross-site pages.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { EVENT_NAMES, isCommandName } from '../../common/contract.js';
import { errorReply } from '../../common/errors.js';
import { MAX_WIRE_MESSAGE, type WireResponse } from '../../common/wire.js';
import type { Engine } from '../index.js';
import { packageRoot } from '../paths.js';
import { contentTypeFor } from '../../common/content-types.js';

export interface ServerOptions {
  /** 0 or undefined: a free port. */
  port?: number;
  /** Default 127.0.0.1. Anything beyond loopback must be asked for explicitly. */
  host?: string;
  /** Default: 32 random bytes, hex. */
  token?: string;
  /** The built dashboard; default <package>/dist/renderer. */
  staticDir?: string;
  /** Called with a warning a person should see (e.g. listening beyond loopback). */
  warn?: (message: string) => void;
}

export interface RunningServer {
  /** The URL to open: http://127.0.0.1:PORT/?token=TOKEN */
  readonly url: string;
  /** http://127.0.0.1:PORT (no token) */
  readonly origin: string;
  readonly token: string;
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

export const WS_PATH = '/ws';
const HOLD_BYTES = 1024 * 1024;
const DROP_BYTES = 16 * 1024 * 1024;

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || (net.isIPv4(h) && h.startsWith('127.'));
}

export function cookieName(port: number): string {
  return `interceptor_token_${port}`;
}

export async function startServer(engine: Engine, options: ServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(32).toString('hex');
  if (!/^[A-Za-z0-9_-]{16,256}$/.test(token)) throw new Error('the token must be 16-256 characters of [A-Za-z0-9_-]');
  const staticDir = path.resolve(options.staticDir ?? path.join(packageRoot(), 'dist', 'renderer'));
  if (!isLoopback(host)) {
    (options.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`)))(
      `listening on ${host}: the dashboard is reachable beyond this machine; anyone holding the token can start programs here`,
    );
  }
  const tokenBuf = Buffer.from(token);
  const tokenOk = (candidate: string | null | undefined): boolean => {
    if (!candidate) return false;
    const c = Buffer.from(candidate);
    return c.length === tokenBuf.length && timingSafeEqual(c, tokenBuf);
  };

  let port = 0;
  const allowedHosts = (): Set<string> => {
    const names = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
    const bracketed = net.isIPv6(host) ? `[${host}]` : host;
    names.add(`${bracketed}:${port}`);
    return names;
  };
  const wildcard = host === '0.0.0.0' || host === '::';
  const hostOk = (hostHeader: string | undefined): boolean => {
    if (!hostHeader) return false;
    const h = hostHeader.toLowerCase();
    if (allowedHosts().has(h)) return true;
    if (!wildcard) return false;
    // bound to every interface on explicit request: accept IP literals and this machine's name
    const m = /^(\[[0-9a-f:.]+\]|[^:]+):(\d+)$/.exec(h);
    if (!m || Number(m[2]) !== port) return false;
    const name = m[1]!.replace(/^\[|\]$/g, '');
    return net.isIP(name) !== 0 || name === os.hostname().toLowerCase();
  };

  const presentedToken = (req: http.IncomingMessage, url: URL): { token: string | null; via: 'query' | 'header' | 'cookie' | null } => {
    const auth = req.headers.authorization;
    if (auth && /^Bearer\s+/i.test(auth)) return { token: auth.replace(/^Bearer\s+/i, '').trim(), via: 'header' };
    const q = url.searchParams.get('token');
    if (q) return { token: q, via: 'query' };
    const cookie = parseCookies(req.headers.cookie)[cookieName(port)];
    if (cookie) return { token: cookie, via: 'cookie' };
    return { token: null, via: null };
  };

  const securityHeaders = (hostHeader: string): Record<string, string> => ({
    'Content-Security-Policy': [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      `connect-src 'self' ws://${hostHeader}`,
      "img-src 'self' data:",
      "font-src 'self' data:",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
    'Cache-Control': 'no-store',
  });

  const reply = (res: http.ServerResponse, status: number, text: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
    res.end(text + '\n');
  };

  const server = http.createServer((req, res) => {
    void handleHttp(req, res).catch(() => {
      if (!res.headersSent) reply(res, 500, 'Internal error');
      else res.destroy();
    });
  });

  async function handleHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const hostHeader = req.headers.host;
    if (!hostOk(hostHeader)) return reply(res, 403, 'Forbidden: unexpected Host header');
    const headers = securityHeaders(hostHeader!);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${hostHeader}`);
    } catch {
      return reply(res, 400, 'Bad request', headers);
    }
    const presented = presentedToken(req, url);
    if (!tokenOk(presented.token)) {
      return reply(res, 401, 'Unauthorized: open the URL printed by `interceptor serve` (it carries the token).', {
        ...headers,
        'WWW-Authenticate': 'Bearer realm="interceptor"',
      });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'Method not allowed', { ...headers, Allow: 'GET, HEAD' });
    if (presented.via === 'query') {
      // keep the token out of the address bar and history: cookie, then redirect
      url.searchParams.delete('token');
      const cookie = `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
      const location = url.pathname + url.search;
      if (req.headers['sec-fetch-site'] === 'cross-site' || req.headers['sec-fetch-site'] === 'same-site') {
        // Arrived from another site (`interceptor open`'s launcher page): a redirect would
        // stay cross-site and the browser would not send the Strict cookie; a page of
        // ours that moves on makes the next request same-site.
        const target = location.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
        res.writeHead(200, { ...headers, 'Set-Cookie': cookie, 'Content-Type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><meta http-equiv="refresh" content="0;url=${target}"><title>Interceptor</title><a href="${target}">Open the dashboard</a>\n`);
        return;
      }
      res.writeHead(303, { ...headers, 'Set-Cookie': cookie, Location: location });
      res.end();
      return;
    }
    if (url.pathname === '/api/state') {
      const state = await engine.invoke('getState', {});
      res.writeHead(200, { ...headers, 'Content-Type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(state));
      return;
    }
    await serveStatic(url.pathname, req, res, headers);
  }

  async function serveStatic(pathname: string, req: http.IncomingMessage, res: http.ServerResponse, headers: Record<string, string>): Promise<void> {
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      return reply(res, 400, 'Bad request', headers);
    }
    if (rel.includes('\0')) return reply(res, 400, 'Bad request', headers);
    const indexFile = path.join(staticDir, 'index.html');
    let file = path.resolve(staticDir, '.' + path.posix.normalize('/' + rel));
    if (file !== staticDir && !file.startsWith(staticDir + path.sep)) return reply(res, 404, 'Not found', headers);
    if (path.relative(staticDir, file).split(path.sep).some((part) => part.startsWith('.'))) return reply(res, 404, 'Not found', headers);
    let st = await fs.stat(file).catch(() => null);
    if (st?.isDirectory()) {
      file = path.join(file, 'index.html');
      st = await fs.stat(file).catch(() => null);
    }
    if (!st || !st.isFile()) {
      if (path.extname(rel)) return reply(res, 404, 'Not found', headers);
      // client-side routes fall back to the dashboard
      file = indexFile;
      st = await fs.stat(file).catch(() => null);
      if (!st || !st.isFile()) {
        res.writeHead(200, { ...headers, 'Content-Type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><title>Interceptor</title><p>The dashboard is not built: run <code>npm run build</code>.</p>\n');
        return;
      }
    }
    res.writeHead(200, {
      ...headers,
      'Content-Type': contentTypeFor(path.extname(file)),
      'Content-Length': String(st.size),
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  }

  // ───────────────────────────── WebSocket ─────────────────────────────
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WIRE_MESSAGE });
  const clients = new Set<WebSocket>();
  let clientSeq = 0;

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length + 1}\r\n\r\n${text}\n`);
      socket.destroy();
    };
    const hostHeader = req.headers.host;
    if (!hostOk(hostHeader)) return refuse(403, 'Forbidden');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${hostHeader}`);
    } catch {
      return refuse(400, 'Bad Request');
    }
    if (url.pathname !== WS_PATH) return refuse(404, 'Not Found');
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${hostHeader}`) return refuse(403, 'Forbidden');
    if (!tokenOk(presentedToken(req, url).token)) return refuse(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  });

  function onConnection(ws: WebSocket): void {
    clients.add(ws);
    const key = `ws:${++clientSeq}`;
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
      if (isBinary) return send({ id: 0, ok: false, error: { code: 'invalid', message: 'binary frames are not accepted' } });
      let msg: { id?: unknown; cmd?: unknown; args?: unknown };
      try {
        msg = JSON.parse(raw.toString()) as typeof msg;
      } catch {
        return send({ id: 0, ok: false, error: { code: 'invalid', message: 'not JSON' } });
      }
      const id = typeof msg?.id === 'number' && Number.isSafeInteger(msg.id) ? msg.id : 0;
      if (!isCommandName(msg?.cmd)) {
        return send({ id, ok: false, error: { code: 'invalid', message: `unknown command "${String(msg?.cmd)}"` } } satisfies WireResponse);
      }
      engine.invoke(msg.cmd, msg.args ?? {}).then(
        (result) => send({ id, ok: true, result } satisfies WireResponse),
        (error: unknown) => send({ id, ok: false, error: errorReply(error) } satisfies WireResponse),
      );
    });
    const cleanup = () => {
      clients.delete(ws);
      for (const off of unsubscribe) off();
      if (drainTimer) clearInterval(drainTimer);
      engine.holdTerminalOutput(key, false);
    };
    ws.on('close', cleanup);
    ws.on('error', cleanup);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as net.AddressInfo).port;
  const shownHost = wildcard ? '127.0.0.1' : net.isIPv6(host) ? `[${host}]` : host;
  const origin = `http://${shownHost}:${port}`;
  let closing: Promise<void> | null = null;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    port,
    host,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const ws of clients) ws.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
      return closing;
    },
  };
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (k && !(k in out)) out[k] = v;
  }
  return out;
}
