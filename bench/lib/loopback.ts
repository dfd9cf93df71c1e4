// A real upload to measure from outside the app (benchmarks and tests): a loopback TCP sink that
// counts what it receives, and a stand-in P2P app, a Node program that sends to it as fast as TCP
// allows.
import net from 'node:net';

export const SENDER = `const s=require('net').connect(+process.argv[1],'127.0.0.1',()=>{const b=Buffer.alloc(16384,7);const w=()=>{while(s.write(b));};s.on('drain',w);w();});s.on('error',()=>process.exit(0));`;

export interface Sink {
  port: number;
  /** Bytes received so far. */
  bytes: () => number;
  close: () => Promise<void>;
}

export async function sink(): Promise<Sink> {
  let bytes = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('data', (d) => (bytes += d.length));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    bytes: () => bytes,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Bytes per second received over the next `ms`. */
export async function rate(bytes: () => number, ms: number): Promise<number> {
  const b0 = bytes();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  return ((bytes() - b0) * 1000) / (performance.now() - t0);
}
