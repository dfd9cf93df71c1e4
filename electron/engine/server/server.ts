// `interceptor serve`: the built dashboard over HTTP (./http.ts) and the contract over a
// WebSocket (./socket.ts), on 127.0.0.1 only unless told otherwise, every request checked by
// the guard (./guard.ts: the random token, the Host header).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { Engine } from '../api.js';
import { packageRoot } from '../paths.js';
import { RequestGuard, isLoopback } from './guard.js';
import { MetricsSource } from '../metrics/metrics.js';
import { httpHandler } from './http.js';
import { serveContract } from './socket.js';

export { cookieName, isLoopback } from './guard.js';
export { WS_PATH } from './socket.js';

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
  const guard = new RequestGuard(host, token);
  const metrics = new MetricsSource(engine);
  const server = http.createServer(httpHandler(engine, guard, staticDir, metrics));
  const contract = serveContract(server, engine, guard);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  guard.port = port;
  const shownHost = guard.wildcard ? '127.0.0.1' : net.isIPv6(host) ? `[${host}]` : host;
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
        contract.close();
        metrics.close();
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
      return closing;
    },
  };
}
