/**
 * The daemon's monitoring endpoint (node:http), bound to the one address it is given:
 *   GET /metrics  the Prometheus text format (prometheus.ts)
 *   GET /healthz  200 "ok", or 503 "unhealthy" and one reason per line (health.ts)
 * Both read the catalog afresh at each request: there is nothing to keep in step.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from '../../../shared/errors';
import type { Health } from './health';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus';

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * `host:port`, `[ipv6]:port`, or a bare port (then 127.0.0.1: metrics stay on this machine unless
 * an address is given). VALIDATION naming the form otherwise.
 */
export function parseListenAddress(text: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(text.trim()) ?? /^()()(\d+)$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new AppError('VALIDATION', { detail: `--metrics takes host:port, for example 127.0.0.1:9187; not "${text}"` });
  }
  const host = match[1] ?? match[2];
  return { host: host || '127.0.0.1', port };
}

export interface MonitoringEndpoints {
  /** the /metrics body */
  metrics(): string;
  health(): Health;
}

export interface MonitoringServer {
  /** where it listens (the port the OS chose when 0 was asked) */
  readonly address: ListenAddress;
  close(): Promise<void>;
}

/** Starts listening on `listen` only; rejects when the address cannot be bound (in use, not local). */
export function startMonitoringServer(listen: ListenAddress, endpoints: MonitoringEndpoints): Promise<MonitoringServer> {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const send = (status: number, body: string, contentType = 'text/plain; charset=utf-8') => {
      response.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      send(405, 'method not allowed\n');
      return;
    }
    try {
      if (url.pathname === '/metrics') {
        send(200, endpoints.metrics(), PROMETHEUS_CONTENT_TYPE);
      } else if (url.pathname === '/healthz') {
        const health = endpoints.health();
        send(health.ok ? 200 : 503, health.ok ? 'ok\n' : `unhealthy\n${health.reasons.map((r) => `${r.kind}: ${r.message}`).join('\n')}\n`);
      } else {
        send(404, 'not found: try /metrics or /healthz\n');
      }
    } catch (error) {
      send(500, `error: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  });
  // a scraper keeping its connection open must not hold the daemon's exit
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new AppError('VALIDATION', { detail: `cannot serve metrics on ${listen.host}:${listen.port}: ${error.code ?? error.message}`, cause: error })),
    );
    server.listen(listen.port, listen.host, () => {
      const bound = server.address() as AddressInfo;
      resolve({
        address: { host: bound.address, port: bound.port },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
