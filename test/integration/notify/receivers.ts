/**
 * Real receivers on loopback for the notification tests: an HTTP server that records every
 * request (webhook, Slack, Telegram all speak HTTP) and an SMTP server (smtp-server) with
 * user/password authentication that records every message. Nothing here talks to another host.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CapturedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: unknown;
}

export type Responder = (request: CapturedRequest) => { status: number; body?: unknown } | 'hang';

export interface HttpReceiver {
  url: string;
  requests: CapturedRequest[];
  /** what to answer (default 200 `{"ok":true}`) */
  respond: Responder;
  /** resolves once `count` requests matching `filter` have arrived */
  waitFor(count: number, filter?: (r: CapturedRequest) => boolean, timeoutMs?: number): Promise<CapturedRequest[]>;
  close(): Promise<void>;
}

export async function startHttpReceiver(): Promise<HttpReceiver> {
  const requests: CapturedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        json = null;
      }
      const captured: CapturedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json };
      requests.push(captured);
      const answer = receiver.respond(captured);
      if (answer === 'hang') return; // never answer: the sender's timeout must end it
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: HttpReceiver = {
    url: `http://127.0.0.1:${port}`,
    requests,
    respond: () => ({ status: 200, body: { ok: true, result: {} } }),
    async waitFor(count, filter = () => true, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.filter(filter).length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} requests, got ${requests.filter(filter).length}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return requests.filter(filter);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return receiver;
}

export interface CapturedMail {
  from: string;
  to: string[];
  user: string | null;
  raw: string;
  subject: string;
  /** the text body, quoted-printable decoded */
  text: string;
}

export interface SmtpReceiver {
  host: string;
  port: number;
  messages: CapturedMail[];
  close(): Promise<void>;
}

function decodeQuotedPrintable(text: string): string {
  const bytes = text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => `%${hex}`);
  try {
    return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/gi, '%25'));
  } catch {
    return bytes;
  }
}

function parseMail(raw: string): { subject: string; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split);
  const body = raw.slice(split + 4);
  const unfolded = head.replace(/\r\n[ \t]+/g, ' ');
  const subject = /^Subject: (.*)$/im.exec(unfolded)?.[1] ?? '';
  const qp = /^Content-Transfer-Encoding: quoted-printable$/im.test(unfolded);
  return { subject, text: qp ? decodeQuotedPrintable(body) : body };
}

/** An SMTP server on loopback, plain (no TLS), that accepts only `user`/`password`. */
export async function startSmtpReceiver(user: string, password: string): Promise<SmtpReceiver> {
  const messages: CapturedMail[] = [];
  const server = new SMTPServer({
    secure: false,
    allowInsecureAuth: true,
    authOptional: false,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === password) return callback(null, { user: auth.username });
      return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          user: (session.user as string | undefined) ?? null,
          raw,
          ...parseMail(raw),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A loopback port that nothing listens on (bound, read, released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
