// Who may talk to `interceptor serve`: starting a program is code execution, so every request
// must carry the random token (query on the first page load → HttpOnly SameSite=Strict cookie;
// or Authorization: Bearer), and the Host header must name this server (against DNS rebinding).
import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import net from 'node:net';
import os from 'node:os';

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || (net.isIPv4(h) && h.startsWith('127.'));
}

export function cookieName(port: number): string {
  return `interceptor_token_${port}`;
}

export class RequestGuard {
  /** The port listened on, known once listening. */
  port = 0;
  private readonly tokenBuf: Buffer;
  /** Bound to every interface on explicit request. */
  readonly wildcard: boolean;

  constructor(
    readonly host: string,
    readonly token: string,
  ) {
    this.tokenBuf = Buffer.from(token);
    this.wildcard = host === '0.0.0.0' || host === '::';
  }

  tokenOk(candidate: string | null | undefined): boolean {
    if (!candidate) return false;
    const c = Buffer.from(candidate);
    return c.length === this.tokenBuf.length && timingSafeEqual(c, this.tokenBuf);
  }

  hostOk(hostHeader: string | undefined): boolean {
    if (!hostHeader) return false;
    const { port } = this;
    const h = hostHeader.toLowerCase();
    const bracketed = net.isIPv6(this.host) ? `[${this.host}]` : this.host;
    const names = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${bracketed}:${port}`]);
    if (names.has(h)) return true;
    if (!this.wildcard) return false;
    // bound to every interface on explicit request: accept IP literals and this machine's name
    const m = /^(\[[0-9a-f:.]+\]|[^:]+):(\d+)$/.exec(h);
    if (!m || Number(m[2]) !== port) return false;
    const name = m[1]!.replace(/^\[|\]$/g, '');
    return net.isIP(name) !== 0 || name === os.hostname().toLowerCase();
  }

  /** The token a request carries, and how. */
  presentedToken(req: http.IncomingMessage, url: URL): { token: string | null; via: 'query' | 'header' | 'cookie' | null } {
    const auth = req.headers.authorization;
    if (auth && /^Bearer\s+/i.test(auth)) return { token: auth.replace(/^Bearer\s+/i, '').trim(), via: 'header' };
    const q = url.searchParams.get('token');
    if (q) return { token: q, via: 'query' };
    const cookie = parseCookies(req.headers.cookie)[cookieName(this.port)];
    if (cookie) return { token: cookie, via: 'cookie' };
    return { token: null, via: null };
  }
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
