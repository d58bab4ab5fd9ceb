/**
 * A real S3 wire-protocol server for tests: s3rver (npm) on a free loopback port, its data in a
 * temp folder (or one the test gives, e.g. a small tmpfs), buckets created up front. Stoppable
 * (abruptly: open connections are destroyed, as when a server dies) and restartable on the same
 * port and data mid-test.
 *
 * s3rver 3.7.1 falls short of S3 in ways the destination tests care about, so this file adds,
 * in front of its router (test-only, nothing here is in the app):
 * - SigV4 signature checking: s3rver checks only that the access key id exists and accepts any V4
 *   signature, so a wrong secret key would pass; requests with a header signature are verified
 *   here against the well-known test credentials (SignatureDoesNotMatch, 403, as S3 answers);
 * - AbortMultipartUpload (DELETE ?uploadId=) and ListMultipartUploads (GET /bucket?uploads),
 *   which s3rver answers with MethodNotAllowed / NotImplemented;
 * - a full disk answered as MinIO answers it (507 XMinioStorageFull) rather than a bare
 *   InternalError, and its store's PUT / UploadPart rewritten so that a write error (ENOSPC) is
 *   answered instead of crashing the process (s3rver leaves the file stream's 'error'
 *   unhandled), a PUT resolves only once its bytes are on disk (s3rver answers before the file
 *   is flushed, so an immediate HEAD could see a short object), and an object appears only
 *   complete (temp file + rename, as S3 is atomic).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import { createRequire } from 'node:module';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';

const require = createRequire(import.meta.url);

/** s3rver's well-known credentials (its DUMMY_ACCOUNT): access key id S3RVER, secret S3RVER. */
export const S3RVER_ACCESS_KEY_ID = 'S3RVER';
export const S3RVER_SECRET_ACCESS_KEY = 'S3RVER';

// the parts of s3rver this file uses (it ships no types)
interface KoaContext {
  req: http.IncomingMessage;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  status: number;
  type: string;
  body: unknown;
}
type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;
interface S3Object {
  bucket: string;
  key: string;
  content: Readable | Buffer;
  metadata: Record<string, string>;
}
interface FilesystemStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
  putObject(object: S3Object): Promise<{ size: number; md5: string }>;
  putPart(bucket: string, uploadId: string, partNumber: string | number, content: Readable): Promise<{ size: number; md5: string }>;
}
interface S3rverInstance {
  middleware: Middleware[];
  store: FilesystemStore;
  httpServer?: http.Server;
  run(): Promise<net.AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;
type S3ErrorClass = new (code: string, message?: string, detail?: Record<string, unknown>) => Error & { status: number; expose: boolean };

const S3rver = require('s3rver') as S3rverClass;
const S3Error = require('s3rver/lib/models/error') as S3ErrorClass;
const S3rverAccount = require('s3rver/lib/models/account') as { DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void } };

export interface S3TestServerOptions {
  /** buckets to create at start (more with createBucket) */
  buckets?: string[];
  /** the data folder; default a new temp folder, removed by close() */
  directory?: string;
  /** check SigV4 header signatures against the test credentials; default true */
  verifySignatures?: boolean;
  /** more key pairs the server accepts besides S3RVER / S3RVER (a secret that differs from every other string of a test) */
  keys?: Array<{ accessKeyId: string; secretAccessKey: string }>;
}

export interface S3TestServer {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  readonly port: number;
  readonly directory: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly running: boolean;
  /** creates a bucket (an empty folder in the data folder, as s3rver keeps it) */
  createBucket(name: string): Promise<void>;
  /** the multipart uploads started and neither completed nor aborted in a bucket (read from its data folder) */
  pendingUploads(bucket: string): Promise<Array<{ key: string; uploadId: string }>>;
  /** stops the server at once: open connections are destroyed (a server that dies) */
  stop(): Promise<void>;
  /** starts it again on the same port with the same data */
  start(): Promise<void>;
  /** stops it and removes the data folder when this file made it */
  close(): Promise<void>;
}

const escapeUri = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: crypto.BinaryLike, data: string) => crypto.createHmac('sha256', key).update(data, 'utf8').digest();

/** Checks an `Authorization: AWS4-HMAC-SHA256 ...` header; throws SignatureDoesNotMatch / InvalidAccessKeyId as S3 does. */
function verifySigV4(req: http.IncomingMessage, secrets: Map<string, string>): void {
  const auth = req.headers.authorization;
  if (!auth?.startsWith('AWS4-HMAC-SHA256 ')) return; // anonymous, V2 or presigned: s3rver's own checks apply
  const fields = new Map(
    auth
      .slice('AWS4-HMAC-SHA256 '.length)
      .split(',')
      .map((part) => {
        const [name, ...value] = part.trim().split('=');
        return [name, value.join('=')] as const;
      }),
  );
  const [accessKeyId, ...scopeParts] = (fields.get('Credential') ?? '').split('/');
  const secret = secrets.get(accessKeyId);
  if (secret === undefined) {
    throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: accessKeyId });
  }
  const signedHeaders = (fields.get('SignedHeaders') ?? '').split(';');
  const [rawPath, rawQuery = ''] = (req.url ?? '/').split(/\?(.*)/s);
  const query = rawQuery
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const at = pair.indexOf('=');
      const name = decodeURIComponent(at === -1 ? pair : pair.slice(0, at));
      const value = at === -1 ? '' : decodeURIComponent(pair.slice(at + 1));
      return `${escapeUri(name)}=${escapeUri(value)}`;
    })
    .sort()
    .join('&');
  const headerValue = (name: string) => {
    const value = req.headers[name];
    return (Array.isArray(value) ? value.join(',') : (value ?? '')).trim().replace(/\s+/g, ' ');
  };
  const canonicalRequest = [
    req.method,
    rawPath,
    query,
    ...signedHeaders.map((name) => `${name}:${headerValue(name)}`),
    '',
    signedHeaders.join(';'),
    headerValue('x-amz-content-sha256') || 'UNSIGNED-PAYLOAD',
  ].join('\n');
  const amzDate = headerValue('x-amz-date');
  const scope = scopeParts.join('/');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, crypto.createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const [date, region, service] = scopeParts;
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  const expected = crypto.createHmac('sha256', key).update(stringToSign).digest('hex');
  if (expected !== fields.get('Signature')) {
    throw new S3Error(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      { AWSAccessKeyId: accessKeyId },
    );
  }
}

/**
 * Writes `source` to `file` and resolves once it is on disk; on a write error (ENOSPC) the rest of
 * `source` is drained first, so the server can still answer the request, and the file removed.
 */
function receive(source: Readable, file: string): Promise<{ size: number; md5: string }> {
  return new Promise((resolve, reject) => {
    const out = fs.createWriteStream(file);
    const md5 = crypto.createHash('md5');
    let size = 0;
    let failed: Error | null = null;
    let ended = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = error;
      out.destroy();
      fs.rm(file, { force: true }, () => {
        if (ended) reject(error);
        else {
          source.on('end', () => reject(error));
          source.on('close', () => reject(error));
          source.resume();
        }
      });
    };
    out.on('error', fail);
    out.on('finish', () => {
      if (!failed) resolve({ size, md5: md5.digest('hex') });
    });
    source.on('error', fail);
    source.on('close', () => {
      if (!ended && !failed) fail(new Error('the client went away mid-request'));
    });
    source.on('data', (chunk: Buffer) => {
      if (failed) return;
      md5.update(chunk);
      size += chunk.length;
      if (!out.write(chunk)) {
        source.pause();
        out.once('drain', () => source.resume());
      }
    });
    source.on('end', () => {
      ended = true;
      if (!failed) out.end();
    });
  });
}

function patchStore(store: FilesystemStore): void {
  store.putObject = async (object) => {
    const final = store.getResourcePath(object.bucket, object.key, 'object');
    await fs.promises.mkdir(path.dirname(final), { recursive: true });
    const temp = `${final}.${crypto.randomBytes(6).toString('hex')}.tmp`;
    let result: { size: number; md5: string };
    if (Buffer.isBuffer(object.content)) {
      await fs.promises.writeFile(temp, object.content);
      result = { size: object.content.length, md5: crypto.createHash('md5').update(object.content).digest('hex') };
    } else {
      result = await receive(object.content, temp);
    }
    try {
      await fs.promises.rename(temp, final);
      await store.putMetadata(object.bucket, object.key, object.metadata, result.md5);
    } catch (error) {
      await fs.promises.rm(temp, { force: true });
      throw error;
    }
    return result;
  };
  store.putPart = async (bucket, uploadId, partNumber, content) => {
    const file = path.join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId, String(partNumber));
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const result = await receive(content, file);
    await fs.promises.writeFile(`${file}.md5`, result.md5);
    return result;
  };
}

function xml(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
}

/** Strips the aws-chunked framing (`<hex size>;chunk-signature=...\r\n<data>\r\n`, ending with a 0-size chunk) off a request body. */
class AwsChunkedDecoder extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  /** bytes of chunk data still to pass on before the next header; -1 while reading a header */
  private left = -1;
  private done = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (!this.done && this.pending.length > 0) {
      if (this.left < 0) {
        const eol = this.pending.indexOf('\r\n');
        if (eol < 0) break;
        const size = Number.parseInt(this.pending.subarray(0, eol).toString('latin1').split(';')[0]!, 16);
        if (!Number.isFinite(size)) return callback(new Error('malformed aws-chunked body'));
        this.pending = this.pending.subarray(eol + 2);
        if (size === 0) this.done = true;
        this.left = size;
      } else if (this.left > 0) {
        const take = Math.min(this.left, this.pending.length);
        this.push(this.pending.subarray(0, take));
        this.pending = this.pending.subarray(take);
        this.left -= take;
      } else {
        // the CRLF after a chunk's data
        if (this.pending.length < 2) break;
        this.pending = this.pending.subarray(2);
        this.left = -1;
      }
    }
    callback();
  }
}

function extras(directory: string, secrets: Map<string, string> | null): Middleware {
  const uploadsDir = (bucket: string) => path.join(directory, bucket, '._S3rver_uploads');
  return async (ctx, next) => {
    try {
      if (secrets) verifySigV4(ctx.req, secrets);
      if (String(ctx.req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-')) {
        // aws-chunked bodies (minio-go's, so restic's, over http): S3 stores the payload, s3rver
        // would store the chunk framing too; the chunk signatures are not checked here
        const decoded = ctx.req.pipe(new AwsChunkedDecoder());
        ctx.req.on('error', (error) => decoded.destroy(error));
        const length = ctx.req.headers['x-amz-decoded-content-length'];
        if (typeof length === 'string') ctx.req.headers['content-length'] = length;
        (ctx as { req: unknown }).req = Object.assign(decoded, { headers: ctx.req.headers });
      }
      const [, bucket = '', ...keyParts] = ctx.path.split('/');
      const uploadId = typeof ctx.query.uploadId === 'string' ? ctx.query.uploadId : null;
      if (ctx.method === 'DELETE' && uploadId !== null && keyParts.length > 0) {
        // AbortMultipartUpload
        const dir = path.join(uploadsDir(bucket), path.basename(uploadId));
        if (!fs.existsSync(dir)) throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', { UploadId: uploadId });
        await fs.promises.rm(dir, { recursive: true, force: true });
        ctx.status = 204;
        ctx.body = '';
        return;
      }
      if (ctx.method === 'GET' && 'uploads' in ctx.query && keyParts.length === 0 && bucket !== '') {
        // ListMultipartUploads
        if (!fs.existsSync(path.join(directory, bucket))) throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
        const prefix = typeof ctx.query.prefix === 'string' ? ctx.query.prefix : '';
        const uploads = (await listUploads(uploadsDir(bucket))).filter((u) => u.key.startsWith(prefix));
        const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
        ctx.type = 'application/xml';
        ctx.body = xml(
          `<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${esc(bucket)}</Bucket>` +
            `<Prefix>${esc(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>` +
            uploads.map((u) => `<Upload><Key>${esc(u.key)}</Key><UploadId>${u.uploadId}</UploadId><StorageClass>STANDARD</StorageClass></Upload>`).join('') +
            '</ListMultipartUploadsResult>',
        );
        return;
      }
      await next();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') {
        const full = new S3Error('XMinioStorageFull', 'Storage backend has reached its minimum free drive threshold. Please delete a few objects to proceed.');
        full.status = 507;
        full.expose = true;
        throw full;
      }
      throw error;
    }
  };
}

async function listUploads(dir: string): Promise<Array<{ key: string; uploadId: string }>> {
  let ids: string[];
  try {
    ids = await fs.promises.readdir(dir);
  } catch {
    return [];
  }
  const out: Array<{ key: string; uploadId: string }> = [];
  for (const uploadId of ids.sort()) {
    const key = await fs.promises.readFile(path.join(dir, uploadId, 'key'), 'utf8').catch(() => null);
    if (key !== null) out.push({ key, uploadId });
  }
  return out;
}

/** Starts s3rver on 127.0.0.1 (a free port) with the well-known credentials S3RVER / S3RVER. */
export async function startS3Server(options: S3TestServerOptions = {}): Promise<S3TestServer> {
  const ownDirectory = options.directory === undefined;
  const directory = options.directory ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-s3rver-'));
  const secrets = options.verifySignatures === false ? null : new Map([[S3RVER_ACCESS_KEY_ID, S3RVER_SECRET_ACCESS_KEY]]);
  for (const key of options.keys ?? []) {
    S3rverAccount.DUMMY_ACCOUNT.createKeyPair(key.accessKeyId, key.secretAccessKey);
    secrets?.set(key.accessKeyId, key.secretAccessKey);
  }
  for (const bucket of options.buckets ?? []) fs.mkdirSync(path.join(directory, bucket), { recursive: true });

  let port = 0;
  let instance: S3rverInstance | null = null;

  const start = async () => {
    if (instance) return;
    const server = new S3rver({ address: '127.0.0.1', port, directory, silent: true, vhostBuckets: false });
    patchStore(server.store);
    server.middleware.unshift(extras(directory, secrets));
    const address = await server.run();
    port = address.port;
    instance = server;
  };
  const stop = async () => {
    const server = instance;
    if (!server) return;
    instance = null;
    const closed = server.close();
    server.httpServer?.closeAllConnections();
    await closed;
  };

  await start();
  return {
    get endpoint() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    directory,
    region: 'us-east-1',
    accessKeyId: S3RVER_ACCESS_KEY_ID,
    secretAccessKey: S3RVER_SECRET_ACCESS_KEY,
    get running() {
      return instance !== null;
    },
    async createBucket(name) {
      await fs.promises.mkdir(path.join(directory, name), { recursive: true });
    },
    pendingUploads: (bucket) => listUploads(path.join(directory, bucket, '._S3rver_uploads')),
    stop,
    start,
    async close() {
      await stop();
      if (ownDirectory) fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
