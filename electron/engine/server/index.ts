export { startServer, isLoopback, cookieName, WS_PATH, type RunningServer, type ServerOptions } from './server.js';
export { connectRemote, type RemoteEngine } from './client.js';
