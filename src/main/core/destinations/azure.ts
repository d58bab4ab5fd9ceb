/**
 * Azure Blob Storage as a Destination (@azure/storage-blob): a storage account with its shared key
 * or a SAS token, a container and a prefix inside it.
 *
 * An upload stages blocks of 8 MiB (two in flight at most, so memory stays bounded whatever the
 * size) and commits the block list only after the last byte was read, hashed, counted and checked:
 * nothing is visible at the key before that, and a failed or cancelled upload commits nothing (Azure
 * drops uncommitted blocks by itself after a week; a blob that has only uncommitted blocks is not
 * listed and has no properties).
 *
 * Every request runs under a stall timer: when no byte moves for `timeoutMs` the request is aborted
 * and DEST_UNREACHABLE thrown, so a dead or silent connection never hangs a job. The SDK's own
 * retries are few and short (a restarting server or a dropped connection, not minutes of waiting).
 */
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AnonymousCredential,
  BlobServiceClient,
  StorageSharedKeyCredential,
  type BlockBlobClient,
  type ContainerClient,
  type StoragePipelineOptions,
} from '@azure/storage-blob';
import { destinationUrl, type AzureDestinationConfig } from '../../../shared/destination';
import { AppError } from '../../../shared/errors';
import { DEFAULT_DESTINATION_TIMEOUT_MS, type Destination, type ObjectInfo, type WriteOptions, type WriteResult, type OpenDestinationOptions } from './destination';
import { checkKey, joinKey } from './keys';

/** The block size of an upload of unknown size; Azure allows 50,000 blocks, so 8 MiB blocks go up to 390 GiB. */
const BLOCK_SIZE = 8 * 1024 * 1024;
const MAX_BLOCKS = 50_000;
/** Azure's largest block (4000 MiB) */
const MAX_BLOCK_SIZE = 4000 * 1024 * 1024;
/** blocks being uploaded at once */
const BLOCKS_IN_FLIGHT = 2;
/** the pieces a block is handed to the socket in, so the upload's progress (and the stall timer) follows the wire */
const SEND_PIECE = 64 * 1024;

/** Error codes of the service (x-ms-error-code) that mean the credentials were refused. */
const AUTH_CODES = new Set([
  'AuthenticationFailed',
  'AuthorizationFailure',
  'AuthorizationPermissionMismatch',
  'AuthorizationProtocolMismatch',
  'AuthorizationResourceTypeMismatch',
  'AuthorizationServiceMismatch',
  'AuthorizationSourceIPMismatch',
  'InsufficientAccountPermissions',
  'InvalidAuthenticationInfo',
  'NoAuthenticationInformation',
  'KeyBasedAuthenticationNotPermitted',
]);
/** Node's and the SDK's codes of a connection that could not be made or broke. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'REQUEST_SEND_ERROR',
]);
/** What a service says when it is out of space or over a quota (Azurite: MemoryExtentStoreAtSizeLimit, ENOSPC). */
const FULL_PATTERN = /quota|insufficient ?storage|not enough space|no space left|ENOSPC|size ?limit|capacity/i;

interface ServiceError {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  details?: { errorCode?: string };
}

function serviceCode(error: ServiceError): string | undefined {
  return error.details?.errorCode ?? error.code;
}

/** The first line of a service message (Azure appends RequestId and Time lines, and sometimes the string it signed). */
function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0].trim();
}

/**
 * Runs requests under one AbortController linked to the caller's signal, each with a stall timer
 * that `touch` restarts; when it fires, the operation is aborted and marked `stalled`.
 */
class Guard {
  private readonly controller = new AbortController();
  stalled = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly outer?: AbortSignal,
  ) {
    if (outer?.aborted) this.controller.abort(outer.reason);
    else outer?.addEventListener('abort', this.onOuterAbort, { once: true });
  }

  private readonly onOuterAbort = () => this.controller.abort(this.outer?.reason);

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Runs one request; it fails when `timeoutMs` pass without a call of `touch` (or its end). */
  async request<T>(run: (signal: AbortSignal, touch: () => void) => Promise<T>): Promise<T> {
    this.controller.signal.throwIfAborted();
    const timer = setTimeout(() => {
      this.stalled = true;
      this.controller.abort(new Error(`no byte moved for ${this.timeoutMs} ms`));
    }, this.timeoutMs);
    try {
      return await run(this.controller.signal, () => timer.refresh());
    } finally {
      clearTimeout(timer);
    }
  }

  abort(reason: unknown): void {
    this.controller.abort(reason);
  }

  dispose(): void {
    this.outer?.removeEventListener('abort', this.onOuterAbort);
  }
}

/** A block as a byte stream in SEND_PIECE pieces (the SDK calls this again for a retry). */
function piecesOf(block: Buffer): () => Readable {
  return () => {
    let at = 0;
    return new Readable({
      read() {
        if (at >= block.length) return void this.push(null);
        const piece = block.subarray(at, Math.min(block.length, at + SEND_PIECE));
        at += piece.length;
        this.push(piece);
      },
    });
  };
}

/** The chunks of a response body; each wait for the next one is a request of `guard` (stall-timed). */
async function* guardedChunks(body: NodeJS.ReadableStream, guard: Guard): AsyncGenerator<Buffer> {
  const stream = body as Readable;
  // an abort (stall, cancel) must end a read that waits on a silent socket
  const onAbort = () => stream.destroy(new Error('aborted'));
  guard.signal.addEventListener('abort', onAbort, { once: true });
  const chunks = stream[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await guard.request(() => chunks.next());
      if (next.done) return;
      yield Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array);
    }
  } finally {
    guard.signal.removeEventListener('abort', onAbort);
    stream.destroy();
  }
}

export class AzureDestination implements Destination {
  readonly kind = 'azure' as const;
  readonly url: string;
  private readonly prefix: string;

  constructor(
    config: AzureDestinationConfig,
    private readonly container: ContainerClient,
    private readonly timeoutMs: number,
    /** the key or SAS token, only to scrub it from any message that might quote it */
    private readonly secret: string,
  ) {
    this.url = destinationUrl(config);
    this.prefix = config.prefix.replace(/^\/+|\/+$/g, '');
  }

  urlOf(key: string): string {
    return `${this.url}/${checkKey(key)}`;
  }

  private blob(key: string): BlockBlobClient {
    return this.container.getBlockBlobClient(joinKey(this.prefix, checkKey(key)));
  }

  async write(key: string, source: Readable, options: WriteOptions = {}): Promise<WriteResult> {
    const blob = this.blob(key);
    const where = this.urlOf(key);
    const guard = new Guard(this.timeoutMs, options.signal);
    const hash = crypto.createHash('sha256');
    const uploadId = crypto.randomBytes(9).toString('hex');
    const blockSize = Math.min(MAX_BLOCK_SIZE, Math.max(BLOCK_SIZE, Math.ceil((options.size ?? 0) / MAX_BLOCKS)));
    const blockIds: string[] = [];
    const inFlight = new Set<Promise<void>>();
    let failure: unknown = null;
    let size = 0;
    let sent = 0;
    let reported = 0;

    const progress = (delta: number) => {
      sent += delta;
      if (sent > reported) {
        reported = sent;
        options.onProgress?.(sent);
      }
    };
    // a failed block (or a stall, or the caller's cancel) must also end a wait on the source
    const stopSource = () => {
      if (!source.destroyed) source.destroy();
    };
    guard.signal.addEventListener('abort', stopSource, { once: true });

    const stage = (block: Buffer) => {
      if (blockIds.length >= MAX_BLOCKS) {
        throw new AppError('DEST_FAILED', { detail: `${where}: more than ${MAX_BLOCKS} blocks of ${blockSize} bytes; pass the size to the upload` });
      }
      // same-length ids (Azure requires it for one blob), unique per upload so two uploads never mix blocks
      const id = Buffer.from(`${uploadId}-${String(blockIds.length).padStart(6, '0')}`).toString('base64');
      blockIds.push(id);
      let loaded = 0;
      const md5 = crypto.createHash('md5').update(block).digest();
      const task: Promise<void> = guard
        .request((signal, touch) =>
          blob.stageBlock(id, piecesOf(block), block.length, {
            abortSignal: signal,
            transactionalContentMD5: md5,
            onProgress: (event) => {
              touch();
              progress(event.loadedBytes - loaded);
              loaded = event.loadedBytes;
            },
          }),
        )
        .then(
          () => progress(block.length - loaded),
          (error: unknown) => {
            failure ??= error;
            guard.abort(error);
          },
        )
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
    };
    const slot = async () => {
      while (inFlight.size >= BLOCKS_IN_FLIGHT) await Promise.race(inFlight);
      if (failure !== null) throw failure;
    };

    try {
      guard.signal.throwIfAborted();
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      for await (const chunk of source) {
        const piece = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        hash.update(piece);
        size += piece.length;
        pending.push(piece);
        pendingBytes += piece.length;
        while (pendingBytes >= blockSize) {
          const all = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
          const rest = all.subarray(blockSize);
          pending = rest.length > 0 ? [Buffer.from(rest)] : [];
          pendingBytes = rest.length;
          await slot();
          stage(all.subarray(0, blockSize));
        }
        if (failure !== null) throw failure;
      }
      if (pendingBytes > 0) {
        await slot();
        stage(Buffer.concat(pending, pendingBytes));
      }
      await Promise.all(inFlight);
      if (failure !== null) throw failure;
      const sha256 = hash.digest('hex');
      if (options.size !== undefined && options.size !== size) {
        throw new AppError('DEST_FAILED', { detail: `${where}: the source gave ${size} bytes, ${options.size} were expected; nothing was committed` });
      }
      if (options.sha256 !== undefined && options.sha256.toLowerCase() !== sha256) {
        throw new AppError('DEST_FAILED', { detail: `${where}: the source's SHA-256 is ${sha256}, ${options.sha256} was expected; nothing was committed` });
      }
      await guard.request((signal) =>
        blob.commitBlockList(blockIds, {
          abortSignal: signal,
          blobHTTPHeaders: { blobContentType: 'application/octet-stream' },
          metadata: { sha256 },
        }),
      );
      return { size, sha256 };
    } catch (error) {
      guard.abort(error);
      stopSource();
      // no request of this upload may still run once it has failed
      await Promise.all(inFlight);
      throw this.fail(failure ?? error, where, guard, options.signal);
    } finally {
      guard.signal.removeEventListener('abort', stopSource);
      guard.dispose();
    }
  }

  async list(prefix = ''): Promise<ObjectInfo[]> {
    const base = this.prefix ? `${this.prefix}/` : '';
    const guard = new Guard(this.timeoutMs);
    const out: ObjectInfo[] = [];
    try {
      const pages = this.container
        .listBlobsFlat({ prefix: joinKey(this.prefix, prefix) || undefined, abortSignal: guard.signal })
        .byPage({ maxPageSize: 5000 });
      for (;;) {
        const page = await guard.request(() => pages.next());
        if (page.done) break;
        for (const item of page.value.segment.blobItems) {
          if (!item.name.startsWith(base)) continue;
          out.push({ key: item.name.slice(base.length), size: item.properties.contentLength ?? 0, modifiedAt: item.properties.lastModified ?? null });
        }
      }
    } catch (error) {
      throw this.fail(error, prefix ? `${this.url}/${prefix}` : this.url, guard);
    } finally {
      guard.dispose();
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    const blob = this.blob(key);
    try {
      const properties = await this.once(this.urlOf(key), undefined, (signal) => blob.getProperties({ abortSignal: signal }));
      return { key, size: properties.contentLength ?? 0, modifiedAt: properties.lastModified ?? null };
    } catch (error) {
      if (error instanceof AppError && error.code === 'NOT_FOUND') return null;
      throw error;
    }
  }

  async read(key: string, start: number, length: number, signal?: AbortSignal): Promise<Buffer> {
    const blob = this.blob(key);
    const where = this.urlOf(key);
    if (length <= 0) {
      // a count of 0 would mean "to the end" to the service; still say NOT_FOUND for no object
      await this.once(where, signal, (abortSignal) => blob.getProperties({ abortSignal }));
      return Buffer.alloc(0);
    }
    const guard = new Guard(this.timeoutMs, signal);
    try {
      const response = await guard.request((abortSignal) => blob.download(start, length, { abortSignal, maxRetryRequests: 2 }));
      const parts: Buffer[] = [];
      for await (const part of guardedChunks(response.readableStreamBody as NodeJS.ReadableStream, guard)) parts.push(part);
      return Buffer.concat(parts);
    } catch (error) {
      // 416: the range starts at or past the end (an empty blob, or a read past it)
      if ((error as ServiceError).statusCode === 416 && !guard.signal.aborted) return Buffer.alloc(0);
      throw this.fail(error, where, guard, signal);
    } finally {
      guard.dispose();
    }
  }

  readStream(key: string, start = 0, end?: number, signal?: AbortSignal): Readable {
    const blob = this.blob(key);
    const where = this.urlOf(key);
    if (end !== undefined && end <= start) return Readable.from([], { objectMode: false });
    const timeoutMs = this.timeoutMs;
    const fail = (error: unknown, guard: Guard) => this.fail(error, where, guard, signal);
    async function* chunks(): AsyncGenerator<Buffer> {
      const guard = new Guard(timeoutMs, signal);
      try {
        const count = end === undefined ? undefined : end - start;
        const response = await guard.request((abortSignal) => blob.download(start, count, { abortSignal, maxRetryRequests: 2 }));
        yield* guardedChunks(response.readableStreamBody as NodeJS.ReadableStream, guard);
      } catch (error) {
        if ((error as ServiceError).statusCode === 416 && !guard.signal.aborted) return;
        throw fail(error, guard);
      } finally {
        guard.dispose();
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  async delete(key: string): Promise<void> {
    const blob = this.blob(key);
    await this.once(this.urlOf(key), undefined, (abortSignal) => blob.deleteIfExists({ abortSignal, deleteSnapshots: 'include' }));
  }

  async close(): Promise<void> {
    // the SDK holds no connection that needs closing: its keep-alive sockets time out by themselves
  }

  /** One request under a stall timer, its errors mapped. */
  private async once<T>(where: string, signal: AbortSignal | undefined, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const guard = new Guard(this.timeoutMs, signal);
    try {
      return await guard.request((abortSignal) => run(abortSignal));
    } catch (error) {
      throw this.fail(error, where, guard, signal);
    } finally {
      guard.dispose();
    }
  }

  /** Removes the secret (and any SAS signature) from a text that may quote a request URL. */
  private scrub(text: string): string {
    const plain = this.secret ? text.split(this.secret).join('[secret]') : text;
    return plain.replace(/([?&]sig=)[^&\s'"]+/gi, '$1[secret]');
  }

  /** Maps what a request threw to an AppError; `where` is the object's or destination's URL. */
  private fail(error: unknown, where: string, guard?: Guard, signal?: AbortSignal): AppError {
    if (signal?.aborted) return error instanceof AppError && error.code === 'CANCELLED' ? error : new AppError('CANCELLED', { detail: where });
    if (guard?.stalled) {
      return new AppError('DEST_UNREACHABLE', { detail: `${where}: no answer for ${Math.round(this.timeoutMs / 1000)} s (the connection stalled)` });
    }
    if (error instanceof AppError) return error;
    const e = (error ?? {}) as ServiceError;
    const code = serviceCode(e);
    const status = e.statusCode;
    const message = this.scrub(firstLine(e.message));
    if (e.name !== 'RestError') {
      // not from the service: the source stream broke, or the SDK refused something before sending
      if (e.name === 'AbortError') return new AppError('CANCELLED', { detail: where });
      return new AppError('DEST_FAILED', { detail: `${where}: ${message || String(error)}` });
    }
    const said = `${where}: ${[code ?? (status ? `HTTP ${status}` : ''), message].filter(Boolean).join(': ')}`;
    if (code === 'ContainerNotFound') return new AppError('DEST_MISSING', { detail: `${where}: the container does not exist` });
    if (status === 507 || FULL_PATTERN.test(`${code ?? ''} ${message}`)) return new AppError('DEST_FULL', { detail: said });
    if ((code !== undefined && AUTH_CODES.has(code)) || status === 401 || status === 403) return new AppError('DEST_AUTH_FAILED', { detail: said });
    if (code === 'BlobNotFound' || status === 404) return new AppError('NOT_FOUND', { detail: where });
    if ((code !== undefined && NETWORK_CODES.has(code)) || /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|socket hang up/i.test(message)) {
      return new AppError('DEST_UNREACHABLE', { detail: said });
    }
    return new AppError('DEST_FAILED', { detail: said });
  }
}

/**
 * Opens an Azure Blob Storage destination. `options.secret` is the account key (auth 'key') or
 * the SAS token (auth 'sas', with or without its leading `?`); the SAS goes only into request URLs,
 * never into a message. No request is made until the first operation.
 */
export async function openAzureDestination(config: AzureDestinationConfig, options: OpenDestinationOptions): Promise<Destination> {
  const url = destinationUrl(config);
  const secret = (options.secret ?? '').trim();
  if (secret === '') {
    const what =
      config.auth === 'sas'
        ? "no SAS token is stored for it: enter a SAS token of the container (or account) that allows read, write, list and delete"
        : "no account key is stored for it: enter the storage account's access key (Azure portal: Storage account > Access keys)";
    throw new AppError('DEST_AUTH_FAILED', { detail: `${url}: ${what}` });
  }
  const endpoint = (config.endpoint ?? `https://${config.account}.blob.core.windows.net`).replace(/\/+$/, '');
  const pipeline: StoragePipelineOptions = {
    retryOptions: {
      maxTries: 3,
      retryDelayInMs: 500,
      maxRetryDelayInMs: 4000,
      // the service's own limit for one try (the stall timer is ours): a block of 8 MiB on a slow uplink needs minutes
      tryTimeoutInMs: 10 * 60 * 1000,
    },
    userAgentOptions: { userAgentPrefix: 'lifeboat' },
  };
  const service =
    config.auth === 'sas'
      ? new BlobServiceClient(`${endpoint}?${secret.replace(/^\?/, '')}`, new AnonymousCredential(), pipeline)
      : new BlobServiceClient(endpoint, new StorageSharedKeyCredential(config.account, secret), pipeline);
  return new AzureDestination(config, service.getContainerClient(config.container), options.timeoutMs ?? DEFAULT_DESTINATION_TIMEOUT_MS, secret);
}
