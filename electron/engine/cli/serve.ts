// `interceptor serve`: the engine headless, the dashboard and the API on a port and
// with a token that stay the same across restarts (a bookmark keeps working), idle
// and battery profiles from sysfs and logind, start-at-login through a systemd user unit.
import path from 'node:path';
import { CommandError } from '../../common/contract.js';
import { createEngine } from '../index.js';
import { systemPowerSource } from '../power/index.js';
import { startServer, type RunningServer } from '../server/server.js';
import { DEFAULT_PORT, defaultStateDir, endpointOrigin, loadOrCreateToken, readEndpoint, writeEndpoint } from '../server/endpoint.js';
import { defaultConfigDir } from '../paths.js';
import { UsageError, str, type Parsed, type OptionSpec } from './args.js';
import { systemRootsFromEnv } from './run.js';
import { serviceFor } from './service.js';

export const SERVE_OPTIONS: OptionSpec = {
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  'config-dir': { type: 'string' },
  'state-dir': { type: 'string' },
  'no-autostart': { type: 'boolean' },
};

const warn = (m: string) => void process.stderr.write(`interceptor: warning: ${m}\n`);

/** Test knob: INTERCEPTOR_POWER_POLL_MS (50 ms to 10 min); default 10 s. */
function powerPollMs(env: NodeJS.ProcessEnv): number | undefined {
  const n = Number(env.INTERCEPTOR_POWER_POLL_MS);
  return Number.isInteger(n) && n >= 50 && n <= 600_000 ? n : undefined;
}

/** The port given, else the one kept from the last start, else the default; a busy one gives way to a free one, kept for next time. */
async function listen(start: (port: number) => Promise<RunningServer>, given: number | undefined, kept: number | undefined): Promise<RunningServer> {
  if (given !== undefined) return start(given);
  const busy: number[] = [];
  for (const port of [...new Set([kept, DEFAULT_PORT])].filter((p): p is number => p !== undefined)) {
    try {
      return await start(port);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      busy.push(port);
    }
  }
  const server = await start(0);
  warn(`port ${busy.join(' and ')} is in use: serving on ${server.port} instead, and keeping it for the next start`);
  return server;
}

export async function serve(p: Parsed): Promise<number> {
  const portText = str(p.values.port);
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && (!/^\d+$/.test(portText!) || port > 65535)) throw new UsageError(`--port must be a port number (0-65535), not "${portText}"`);
  const host = str(p.values.host) ?? '127.0.0.1';
  const configDir = path.resolve(str(p.values['config-dir']) ?? defaultConfigDir());
  const stateDir = path.resolve(str(p.values['state-dir']) ?? defaultStateDir());
  const { token } = await loadOrCreateToken(stateDir);
  const kept = await readEndpoint(stateDir);
  const roots = systemRootsFromEnv();
  const engine = await createEngine({
    configDir,
    stateDir,
    historyDir: stateDir,
    autostart: p.values['no-autostart'] !== true,
    systemRoots: roots,
    power: systemPowerSource({ sysRoot: roots.sys }),
    powerPollMs: powerPollMs(process.env),
    loginItem: serviceFor({ configDir: str(p.values['config-dir']), stateDir: str(p.values['state-dir']) }).loginItem(),
  });
  let server: RunningServer;
  try {
    server = await listen((candidate) => startServer(engine, { port: candidate, host, token, warn }), port, kept?.host === host ? kept.port : undefined);
  } catch (error) {
    await engine.shutdown({ leaveRunning: false });
    throw new CommandError('unavailable', `cannot listen on ${host}:${port ?? DEFAULT_PORT}: ${(error as Error).message}`);
  }
  await writeEndpoint(stateDir, { host, port: server.port, pid: process.pid });
  const state = await engine.invoke('getState', {});
  // Under systemd (INVOCATION_ID) stdout goes to the journal: no token there.
  const shown = process.env.INVOCATION_ID ? `${endpointOrigin({ host, port: server.port })}/  (open it with \`interceptor open\`)` : server.url;
  process.stdout.write(`Interceptor ${state.version} is serving the dashboard at\n  ${shown}\n`);
  if (!state.platform.enforcement) process.stdout.write(`Enforcement unavailable: ${state.platform.reason}\n`);
  process.stdout.write('Press Ctrl-C to stop.\n');

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stdout.write(`\n${signal}: stopping\n`);
      await server.close().catch(() => undefined);
      await engine.shutdown().catch(() => undefined);
      const current = await readEndpoint(stateDir);
      if (current?.pid === process.pid) await writeEndpoint(stateDir, { ...current, pid: null }).catch(() => undefined);
      resolve(0);
    };
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void stop(sig));
  });
}
