// The HTTP side of `interceptor serve`: the built dashboard's files (client-side routes fall
// back to its page), /api/state, /metrics (Prometheus, docs/metrics.md), and the token's hand-off from the first page's URL to a
// cookie; every answer with a strict Content-Security-Policy and the usual hardening headers.
import { createReadStream, promises as fs } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { contentTypeFor } from '../../common/content-types.js';
import type { Engine } from '../api.js';
import { EXPOSITION_CONTENT_TYPE, renderExposition } from '../metrics/exposition.js';
import type { MetricsSource } from '../metrics/metrics.js';
import { cookieName, type RequestGuard } from './guard.js';

type Headers = Record<string, string>;

function securityHeaders(hostHeader: string): Headers {
  return {
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
  };
}

export function reply(res: http.ServerResponse, status: number, text: string, headers: Headers = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  res.end(text + '\n');
}

/** The handler of every HTTP request (not the WebSocket upgrade). */
export function httpHandler(engine: Engine, guard: RequestGuard, staticDir: string, metrics: MetricsSource): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const hostHeader = req.headers.host;
    if (!guard.hostOk(hostHeader)) return reply(res, 403, 'Forbidden: unexpected Host header');
    const headers = securityHeaders(hostHeader!);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${hostHeader}`);
    } catch {
      return reply(res, 400, 'Bad request', headers);
    }
    const presented = guard.presentedToken(req, url);
    if (!guard.tokenOk(presented.token)) {
      return reply(res, 401, 'Unauthorized: open the URL printed by `interceptor serve` (it carries the token).', {
        ...headers,
        'WWW-Authenticate': 'Bearer realm="interceptor"',
      });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'Method not allowed', { ...headers, Allow: 'GET, HEAD' });
    if (url.pathname === '/metrics') {
      // Prometheus: the token as a bearer header (or ?token=, answered here, never handed to a cookie)
      const text = renderExposition(await metrics.families());
      res.writeHead(200, { ...headers, 'Content-Type': EXPOSITION_CONTENT_TYPE });
      res.end(req.method === 'HEAD' ? undefined : text);
      return;
    }
    if (presented.via === 'query') return handOffToken(req, res, url, headers);
    if (url.pathname === '/api/state') {
      const state = await engine.invoke('getState', {});
      res.writeHead(200, { ...headers, 'Content-Type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(state));
      return;
    }
    await serveStatic(staticDir, url.pathname, req, res, headers);
  }

  /** Keeps the token out of the address bar and history: a cookie, then the page without it. */
  function handOffToken(req: http.IncomingMessage, res: http.ServerResponse, url: URL, headers: Headers): void {
    url.searchParams.delete('token');
    const cookie = `${cookieName(guard.port)}=${guard.token}; HttpOnly; SameSite=Strict; Path=/`;
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
  }

  return (req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) reply(res, 500, 'Internal error');
      else res.destroy();
    });
  };
}

async function serveStatic(staticDir: string, pathname: string, req: http.IncomingMessage, res: http.ServerResponse, headers: Headers): Promise<void> {
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
