/**
 * A TCP proxy on a free loopback port in front of any server (s3rver, Azurite, sshd, ...), for
 * tests that need to see or disturb the wire without mocking anything:
 *
 * - counts the bytes that went server -> client (`bytesToClient`: how much a ranged read really
 *   fetched) and client -> server (`bytesToServer`); `resetCounts()` starts again from 0;
 * - `stall()` stops forwarding in both directions without closing anything (new connections are
 *   accepted and held too), so a client's timeout can be tested; `resume()` lets everything flow
 *   again;
 * - `cut()` destroys every open connection at once (a server that dies mid-upload, as the client
 *   sees it); new connections are still accepted and forwarded.
 *
 * Usage:
 *   const proxy = await startCountingProxy({ port: server.port });
 *   // point the client at `http://127.0.0.1:${proxy.port}` (or host 127.0.0.1, port proxy.port)
 *   proxy.resetCounts(); await dest.read(key, 0, 100); expect(proxy.bytesToClient).toBeLessThan(10_000);
 *   await proxy.close();
 */
import net from 'node:net';

export interface CountingProxyOptions {
  /** the server's port */
  port: number;
  /** the server's host; default 127.0.0.1 */
  host?: string;
}

export interface CountingProxy {
  /** the proxy's own port on 127.0.0.1 */
  readonly port: number;
  /** `host:port` of the proxy, and `http://127.0.0.1:port` for HTTP servers */
  readonly address: string;
  readonly url: string;
  /** bytes forwarded server -> client since the start or the last resetCounts() */
  readonly bytesToClient: number;
  /** bytes forwarded client -> server since the start or the last resetCounts() */
  readonly bytesToServer: number;
  /** connections accepted since the start or the last resetCounts() */
  readonly connections: number;
  /** connections open now */
  readonly openConnections: number;
  resetCounts(): void;
  /** stops forwarding (both ways, existing and new connections) without closing any socket */
  stall(): void;
  /** forwards again after stall() */
  resume(): void;
  /** destroys every open connection (client and server side) */
  cut(): void;
  /** cuts everything and stops listening */
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket | null;
  /** client bytes received while the upstream connection was not open yet */
  pending: Buffer[];
}

/** Starts a proxy on 127.0.0.1 (a free port) that forwards every connection to `host:port`. */
export async function startCountingProxy(options: CountingProxyOptions): Promise<CountingProxy> {
  const targetHost = options.host ?? '127.0.0.1';
  const pairs = new Set<Pair>();
  let bytesToClient = 0;
  let bytesToServer = 0;
  let connections = 0;
  let stalled = false;

  const destroyPair = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream?.destroy();
  };

  // forwards `from` -> `to` with backpressure, counting each chunk; nothing moves while stalled
  const forward = (from: net.Socket, to: net.Socket, count: (n: number) => void) => {
    from.on('data', (chunk: Buffer) => {
      count(chunk.length);
      if (!to.write(chunk)) from.pause();
    });
    to.on('drain', () => {
      if (!stalled) from.resume();
    });
  };

  const connectUpstream = (pair: Pair) => {
    const upstream = net.connect({ host: targetHost, port: options.port });
    pair.upstream = upstream;
    upstream.on('error', () => destroyPair(pair));
    upstream.on('close', () => destroyPair(pair));
    upstream.on('connect', () => {
      for (const chunk of pair.pending.splice(0)) {
        bytesToServer += chunk.length;
        upstream.write(chunk);
      }
      pair.client.removeAllListeners('data');
      forward(pair.client, upstream, (n) => (bytesToServer += n));
      forward(upstream, pair.client, (n) => (bytesToClient += n));
      if (stalled) {
        pair.client.pause();
        upstream.pause();
      } else {
        pair.client.resume();
      }
    });
  };

  const server = net.createServer((client) => {
    connections += 1;
    const pair: Pair = { client, upstream: null, pending: [] };
    pairs.add(pair);
    client.on('error', () => destroyPair(pair));
    client.on('close', () => destroyPair(pair));
    // hold what the client sends until the upstream connection is open
    client.on('data', (chunk: Buffer) => pair.pending.push(chunk));
    if (stalled) client.pause();
    else connectUpstream(pair);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    address: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    get bytesToClient() {
      return bytesToClient;
    },
    get bytesToServer() {
      return bytesToServer;
    },
    get connections() {
      return connections;
    },
    get openConnections() {
      return pairs.size;
    },
    resetCounts() {
      bytesToClient = 0;
      bytesToServer = 0;
      connections = 0;
    },
    stall() {
      stalled = true;
      for (const pair of pairs) {
        pair.client.pause();
        pair.upstream?.pause();
      }
    },
    resume() {
      stalled = false;
      for (const pair of pairs) {
        if (pair.upstream === null) connectUpstream(pair);
        else {
          pair.client.resume();
          pair.upstream.resume();
        }
      }
    },
    cut() {
      for (const pair of [...pairs]) destroyPair(pair);
    },
    async close() {
      for (const pair of [...pairs]) destroyPair(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
