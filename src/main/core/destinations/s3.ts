/**
 * S3-compatible object storage as a Destination (AWS S3, MinIO, Backblaze B2, Wasabi, Cloudflare
 * R2, GCS through its HMAC interoperability): AWS SDK v3 with lib-storage's streaming multipart
 * upload (8 MiB parts, at most 3 in flight), completed only after the last byte and aborted on any
 * failure or cancel, so a partial object is never visible.
 *
 * Timeouts: a connection that takes longer than `timeoutMs` to open, or a socket with no byte
 * moving for `timeoutMs`, fails the request (the SDK retries twice, as by default), then
 * DEST_UNREACHABLE. Checksums: against a custom endpoint (config or AWS_ENDPOINT_URL) the SDK's
 * default CRC32 checksums are sent only where the API requires them, since most S3-compatible
 * servers reject or mis-store them; against AWS itself every part carries an SDK-computed SHA-256
 * and an upload of known size that fits one part carries the caller's SHA-256
 * (x-amz-checksum-sha256), which S3 checks. A multipart upload cannot carry a full-object SHA-256
 * (S3 keeps only a checksum of the part checksums for SHA-256), so for those the SHA-256 of the
 * bytes sent is computed here and compared with `options.sha256` before the upload is completed.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import crypto from 'node:crypto';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type PutObjectCommandInput,
  type S3ClientConfig,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { destinationUrl, type S3DestinationConfig } from '../../../shared/destination';
import { AppError } from '../../../shared/errors';
import { DEFAULT_DESTINATION_TIMEOUT_MS, type Destination, type ObjectInfo, type WriteOptions, type WriteResult, type OpenDestinationOptions } from './destination';
import { checkKey, joinKey } from './keys';

/** the multipart part size; an object of at most this size goes up in one PUT */
export const S3_PART_SIZE = 8 * 1024 * 1024;
/** S3's limits: 10,000 parts of at most 5 GiB; we plan for 9,000 to keep a margin. */
const MAX_PARTS_PLANNED = 9000;
const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;

/**
 * The part size for an upload of about `expected` bytes: 8 MiB (memory: QUEUE_SIZE parts are
 * held), larger, in whole MiB, when 8 MiB parts would not hold it in S3's 10,000 parts (8 MiB
 * parts reach 78 GiB).
 */
export function partSizeFor(expected: number | undefined): number {
  if (expected === undefined || !Number.isFinite(expected) || expected <= 0) return S3_PART_SIZE;
  const mib = 1024 * 1024;
  return Math.min(MAX_PART_SIZE, Math.max(S3_PART_SIZE, Math.ceil(expected / MAX_PARTS_PLANNED / mib) * mib));
}
/** parts in flight at once (memory: about (queue + 1) x part size) */
const QUEUE_SIZE = 3;

/** the cancel signal of the write() a request belongs to (lib-storage sends requests without one) */
const writeSignal = new AsyncLocalStorage<AbortSignal | undefined>();

/**
 * The node HTTP handler, plus: a PUT made inside a write() (a part, or the single PUT) gets that
 * write's cancel signal, so cancelling stops it mid-flight instead of after it. The other requests
 * of an upload are short and left to finish: CreateMultipartUpload (cut off, it could leave an
 * upload whose id we never learn), CompleteMultipartUpload and AbortMultipartUpload.
 */
type HttpRequest = Parameters<NodeHttpHandler['handle']>[0];
type HttpHandlerOptions = NonNullable<Parameters<NodeHttpHandler['handle']>[1]>;

class SignalledHandler {
  readonly metadata = { handlerProtocol: 'http/1.1' };

  constructor(private readonly inner: NodeHttpHandler) {}

  handle(request: HttpRequest, options: HttpHandlerOptions = {}): ReturnType<NodeHttpHandler['handle']> {
    const signal = writeSignal.getStore();
    if (!signal || request.method !== 'PUT' || options.abortSignal) return this.inner.handle(request, options);
    return this.inner.handle(request, { ...options, abortSignal: signal });
  }

  updateHttpClientConfig(...args: Parameters<NodeHttpHandler['updateHttpClientConfig']>): void {
    this.inner.updateHttpClientConfig(...args);
  }

  httpHandlerConfigs(): ReturnType<NodeHttpHandler['httpHandlerConfigs']> {
    return this.inner.httpHandlerConfigs();
  }

  destroy(): void {
    this.inner.destroy();
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED', 'ESOCKETTIMEDOUT']);
const FULL_NAMES = new Set(['EntityTooLarge', 'QuotaExceeded', 'XMinioStorageFull', 'InsufficientStorage', 'StorageQuotaExceeded', 'XMinioAdminBucketQuotaExceeded']);
const AUTH_NAMES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'Forbidden',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'AuthorizationHeaderMalformed',
  'CredentialsProviderError',
]);

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** The endpoint to name in messages: the configured one without any user:password, or AWS. */
function endpointName(config: S3DestinationConfig): string {
  const raw = config.endpoint || process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL;
  if (!raw) return `AWS S3 (${config.region})`;
  try {
    const url = new URL(raw);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return raw;
  }
}

/** One bucket + prefix of an S3-compatible store; keys are joined under the prefix. */
export class S3Destination implements Destination {
  readonly kind = 's3' as const;
  readonly url: string;
  private readonly bucket: string;
  /** the root prefix inside the bucket, without leading or trailing slashes */
  private readonly root: string;
  private readonly endpoint: string;
  private readonly awsItself: boolean;

  constructor(
    private readonly client: S3Client,
    private readonly config: S3DestinationConfig,
    private readonly timeoutMs: number,
  ) {
    this.url = destinationUrl(config);
    this.bucket = config.bucket;
    this.root = config.prefix.replace(/^\/+|\/+$/g, '');
    this.endpoint = endpointName(config);
    this.awsItself = !config.endpoint && !process.env.AWS_ENDPOINT_URL_S3 && !process.env.AWS_ENDPOINT_URL;
  }

  urlOf(key: string): string {
    return `${this.url}/${checkKey(key)}`;
  }

  private objectKey(key: string): string {
    return joinKey(this.root, checkKey(key));
  }

  /** An SDK or network error as an AppError naming `where` (a URL) and the endpoint, never a secret. */
  private fail(error: unknown, where: string, op: 'read' | 'write' | 'list' | 'delete' = 'read'): AppError {
    if (error instanceof AppError) return error;
    const e = (error ?? {}) as SdkError;
    const name = e.name ?? '';
    const status = e.$metadata?.httpStatusCode;
    const message = e.message || name || String(error);
    const said = `${where} (${this.endpoint}): ${name && !message.startsWith(name) ? `${name}: ` : ''}${message}`;
    if (name === 'AbortError') return new AppError('CANCELLED', { cause: error });
    if (FULL_NAMES.has(name) || status === 507 || /insufficient storage|storage full|quota exceeded|no space left/i.test(message)) {
      return new AppError('DEST_FULL', { detail: said, cause: error });
    }
    if (name === 'NoSuchBucket') return new AppError('DEST_MISSING', { detail: `${where}: the bucket ${this.bucket} does not exist at ${this.endpoint}`, cause: error });
    if (AUTH_NAMES.has(name) || status === 401 || status === 403) {
      const hint =
        this.config.credentials === 'aws-chain'
          ? 'check the AWS credentials this process sees (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ~/.aws/credentials)'
          : `check the access key id (${this.config.accessKeyId ?? 'none'}) and enter its secret key again`;
      return new AppError('DEST_AUTH_FAILED', { detail: `${said}; ${hint}`, cause: error });
    }
    if (name === 'NoSuchKey' || name === 'NotFound' || (status === 404 && op !== 'list')) {
      return new AppError('NOT_FOUND', { detail: `${where}: no such object`, cause: error });
    }
    if (NETWORK_CODES.has(e.code ?? '') || NETWORK_CODES.has(name) || name === 'TimeoutError' || name === 'RequestTimeout' || name === 'TimeoutException') {
      const stalled = name === 'TimeoutError' || e.code === 'ETIMEDOUT' ? `no answer within ${Math.round(this.timeoutMs / 100) / 10} s; ` : '';
      return new AppError('DEST_UNREACHABLE', { detail: `${where} (${this.endpoint}): ${stalled}${message}`, cause: error });
    }
    return new AppError('DEST_FAILED', { detail: said, cause: error });
  }

  async write(key: string, source: Readable, options: WriteOptions = {}): Promise<WriteResult> {
    const objectKey = this.objectKey(key);
    const where = this.urlOf(key);
    const { signal } = options;
    if (signal?.aborted) {
      source.destroy();
      throw new AppError('CANCELLED', { cause: signal.reason });
    }
    const hash = crypto.createHash('sha256');
    let size = 0;
    let sha256 = '';
    // counts and hashes the bytes on their way to the uploader; checks them before the last part
    // is handed over, so a short or wrong stream is never completed
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        options.onProgress?.(size);
        done(null, chunk);
      },
      flush(done) {
        sha256 = hash.digest('hex');
        if (options.size !== undefined && size !== options.size) {
          done(new AppError('DEST_FAILED', { detail: `${where}: the source gave ${size} of ${options.size} bytes; nothing was stored` }));
        } else if (options.sha256 !== undefined && sha256 !== options.sha256.toLowerCase()) {
          done(new AppError('DEST_FAILED', { detail: `${where}: the bytes read have SHA-256 ${sha256}, not the expected ${options.sha256}; nothing was stored` }));
        } else done();
      },
    });
    pipeline(source, counter).catch(() => undefined); // a source error reaches the uploader through `counter`

    const params: PutObjectCommandInput = { Bucket: this.bucket, Key: objectKey, Body: counter };
    if (this.config.storageClass) params.StorageClass = this.config.storageClass as StorageClass;
    if (this.awsItself) {
      params.ChecksumAlgorithm = 'SHA256';
      if (options.sha256 && options.size !== undefined && options.size <= S3_PART_SIZE) {
        params.ChecksumSHA256 = Buffer.from(options.sha256, 'hex').toString('base64');
      }
    }
    const upload = new Upload({ client: this.client, params, queueSize: QUEUE_SIZE, partSize: partSizeFor(options.size ?? options.sizeHint), leavePartsOnError: true });
    const onAbort = () => counter.destroy(new AppError('CANCELLED', { cause: signal?.reason }));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await writeSignal.run(signal, () => upload.done());
    } catch (error) {
      counter.destroy();
      const note = await this.abortUpload(objectKey, upload.uploadId);
      if (signal?.aborted) throw new AppError('CANCELLED', { detail: note || undefined, cause: error });
      const failure = this.fail(error, where, 'write');
      if (!note) throw failure;
      throw new AppError(failure.code, { detail: `${failure.detail ?? where}; ${note}`, cause: error });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    return { size, sha256 };
  }

  /** Aborts a started multipart upload; returns '' or what the user should know when that failed. */
  private async abortUpload(objectKey: string, uploadId: string | undefined): Promise<string> {
    if (!uploadId) return '';
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: objectKey, UploadId: uploadId }));
      return '';
    } catch (error) {
      if ((error as SdkError).name === 'NoSuchUpload') return '';
      return `its unfinished multipart upload could not be aborted (${(error as SdkError).message ?? error}): it is not visible as an object, but its parts use space until a bucket lifecycle rule (AbortIncompleteMultipartUpload) removes them`;
    }
  }

  async list(prefix = ''): Promise<ObjectInfo[]> {
    if (prefix.startsWith('/') || prefix.split('/').some((part) => part === '..')) {
      throw new AppError('VALIDATION', { detail: `not a usable key prefix: ${JSON.stringify(prefix)}` });
    }
    const full = this.root ? `${this.root}/${prefix}` : prefix;
    const strip = this.root ? this.root.length + 1 : 0;
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: full || undefined, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) {
          if (!object.Key || object.Key.endsWith('/')) continue;
          out.push({ key: object.Key.slice(strip), size: object.Size ?? 0, modifiedAt: object.LastModified ?? null });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw this.fail(error, prefix ? `${this.url}/${prefix}` : this.url, 'list');
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    const objectKey = this.objectKey(key);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      return { key, size: head.ContentLength ?? 0, modifiedAt: head.LastModified ?? null };
    } catch (error) {
      const failure = this.fail(error, this.urlOf(key));
      if (failure.code !== 'NOT_FOUND') throw failure;
    }
    // a HEAD answers 404 without a body for a missing bucket too: tell the two apart
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      const failure = this.fail(error, this.url, 'list');
      if ((error as SdkError).$metadata?.httpStatusCode === 404 || failure.code === 'NOT_FOUND') {
        throw new AppError('DEST_MISSING', { detail: `${this.url}: the bucket ${this.bucket} does not exist at ${this.endpoint}`, cause: error });
      }
      throw failure;
    }
    return null;
  }

  async read(key: string, start: number, length: number, signal?: AbortSignal): Promise<Buffer> {
    const objectKey = this.objectKey(key);
    if (length <= 0) return Buffer.alloc(0);
    try {
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: objectKey, Range: `bytes=${start}-${start + length - 1}` }),
        { abortSignal: signal },
      );
      if (!object.Body) return Buffer.alloc(0);
      return Buffer.from(await object.Body.transformToByteArray());
    } catch (error) {
      if ((error as SdkError).name === 'InvalidRange') return Buffer.alloc(0); // at or past the end
      if (signal?.aborted) throw new AppError('CANCELLED', { cause: error });
      throw this.fail(error, this.urlOf(key));
    }
  }

  readStream(key: string, start = 0, end?: number, signal?: AbortSignal): Readable {
    const objectKey = this.objectKey(key);
    const where = this.urlOf(key);
    const out = new PassThrough();
    if (end !== undefined && end <= start) {
      out.end();
      return out;
    }
    const range = start > 0 || end !== undefined ? `bytes=${start}-${end === undefined ? '' : end - 1}` : undefined;
    const onAbort = () => out.destroy(new AppError('CANCELLED', { cause: signal?.reason }));
    signal?.addEventListener('abort', onAbort, { once: true });
    out.once('close', () => signal?.removeEventListener('abort', onAbort));
    this.client
      .send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey, Range: range }), { abortSignal: signal })
      .then((object) => {
        const body = object.Body as Readable | undefined;
        if (!body) return void out.end();
        if (out.destroyed) return void body.destroy();
        body.once('error', (error) => out.destroy(signal?.aborted ? new AppError('CANCELLED', { cause: error }) : this.fail(error, where)));
        out.once('close', () => body.destroy());
        body.pipe(out);
      })
      .catch((error: unknown) => {
        if ((error as SdkError).name === 'InvalidRange') return void out.end();
        out.destroy(signal?.aborted ? new AppError('CANCELLED', { cause: error }) : this.fail(error, where));
      });
    return out;
  }

  async delete(key: string): Promise<void> {
    const objectKey = this.objectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: objectKey }));
    } catch (error) {
      const failure = this.fail(error, this.urlOf(key), 'delete');
      if (failure.code !== 'NOT_FOUND') throw failure;
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

/**
 * Opens an S3 destination. Credentials 'keychain': the config's access key id and `options.secret`
 * as the secret key; 'aws-chain': the SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
 * AWS_PROFILE or the config's profile in ~/.aws, SSO, ...). An empty endpoint means AWS itself,
 * or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL when set (the SDK reads them). Nothing is sent yet.
 */
export async function openS3Destination(config: S3DestinationConfig, options: OpenDestinationOptions): Promise<Destination> {
  const url = destinationUrl(config);
  const timeoutMs = options.timeoutMs ?? DEFAULT_DESTINATION_TIMEOUT_MS;
  let credentials: S3ClientConfig['credentials'];
  if (config.credentials === 'keychain') {
    if (!config.accessKeyId) {
      throw new AppError('DEST_AUTH_FAILED', { detail: `${url}: no access key id is set; enter the access key id and its secret key in the destination` });
    }
    if (!options.secret) {
      throw new AppError('DEST_AUTH_FAILED', {
        detail: `${url}: no secret key is stored for access key id ${config.accessKeyId}; enter the secret key in the destination (or name where it comes from, env:NAME or file:/path)`,
      });
    }
    credentials = { accessKeyId: config.accessKeyId, secretAccessKey: options.secret };
  }
  const customEndpoint = Boolean(config.endpoint || process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL);
  const client = new S3Client({
    region: config.region,
    endpoint: config.endpoint || undefined,
    forcePathStyle: config.forcePathStyle,
    credentials,
    profile: config.credentials === 'aws-chain' ? config.profile : undefined,
    requestHandler: new SignalledHandler(new NodeHttpHandler({ connectionTimeout: timeoutMs, socketTimeout: timeoutMs })),
    ...(customEndpoint ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
  });
  return new S3Destination(client, config, timeoutMs);
}
