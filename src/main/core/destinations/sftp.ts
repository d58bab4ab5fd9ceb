/**
 * SFTP as a Destination, with ssh2: one SSH connection per Destination (opened again after it
 * was lost), the server's host key checked before anything is sent (pinned SHA-256 fingerprint,
 * else a fingerprint the user accepted, else a known_hosts file), uploads to `<key>.part` renamed
 * over the key with OpenSSH's posix-rename (atomic, replaces an existing object), and a
 * watchdog that fails a stalled connection with DEST_UNREACHABLE instead of hanging.
 *
 * Requests are pipelined (several SFTP writes or reads in flight), as OpenSSH's own sftp does:
 * one request at a time would cap the upload at one round trip per piece.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import ssh2, { type Client, type ConnectConfig, type FileEntryWithStats, type SFTPWrapper, type Stats } from 'ssh2';
import { destinationUrl, type SftpDestinationConfig } from '../../../shared/destination';
import { AppError } from '../../../shared/errors';
import { HashStream } from '../archive/hash-stream';
import { DEFAULT_DESTINATION_TIMEOUT_MS, type Destination, type ObjectInfo, type WriteOptions, type WriteResult, type OpenDestinationOptions } from './destination';
import { checkKnownHosts, hostKeyFingerprint, hostKeyType, knownHostKeyTypes, parseKnownHosts, type KnownHostEntry } from './host-keys';
import { checkKey } from './keys';

/** SFTP status codes (draft-ietf-secsh-filexfer-02, what OpenSSH speaks). */
const FX = { EOF: 1, NO_SUCH_FILE: 2, PERMISSION_DENIED: 3, FAILURE: 4, NO_CONNECTION: 6, CONNECTION_LOST: 7 } as const;

/** bytes per SFTP read or write request, and how many may be in flight at once */
const PIECE = 64 * 1024;
const IN_FLIGHT = 32;
/** below this much free space at the folder, a write's generic SSH_FX_FAILURE is taken for a full disk */
const FULL_BELOW_BYTES = 1024 * 1024;

/** ssh2's host key algorithms (its defaults, in its order), for putting the ones known_hosts lists first. */
const HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/** The key a server presented: its fingerprint (`SHA256:...`, as ssh-keygen -l prints it) and type. */
export interface PresentedHostKey {
  fingerprint: string;
  /** ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, ... */
  keyType: string | null;
}

/**
 * HOST_KEY_UNKNOWN or HOST_KEY_CHANGED, carrying the key the server presented, so that the
 * plan editor's Test can show its fingerprint for the user to accept (and pin).
 */
export class HostKeyError extends AppError {
  constructor(
    code: 'HOST_KEY_UNKNOWN' | 'HOST_KEY_CHANGED',
    readonly presented: PresentedHostKey,
    /** the fingerprints that were expected (the pinned one, or those known_hosts lists); empty when unknown */
    readonly expected: string[],
    detail: string,
  ) {
    super(code, { detail });
  }
}

/** The key a refused server presented, and why it was refused; null for any other error. */
export function presentedHostKey(error: unknown): (PresentedHostKey & { status: 'unknown' | 'changed' }) | null {
  if (!(error instanceof HostKeyError)) return null;
  return { ...error.presented, status: error.code === 'HOST_KEY_UNKNOWN' ? 'unknown' : 'changed' };
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

type SshError = Error & { level?: string; code?: string | number };

/** An error of the SSH connection itself (before or after it was ready), as an AppError. */
function connectionError(error: SshError, where: string, timeoutMs: number): AppError {
  if (error instanceof AppError) return error;
  const code = typeof error.code === 'string' ? error.code : undefined;
  if (error.level === 'client-authentication') {
    return new AppError('DEST_AUTH_FAILED', { detail: `${where}: the server refused the user name and key or password`, cause: error });
  }
  if (error.level === 'agent') {
    return new AppError('DEST_AUTH_FAILED', { detail: `${where}: the ssh agent failed (${error.message})`, cause: error });
  }
  if (error.level === 'client-timeout') {
    return new AppError('DEST_UNREACHABLE', { detail: `${where}: no answer within ${seconds(timeoutMs)}`, cause: error });
  }
  if (code && ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED'].includes(code)) {
    return new AppError('DEST_UNREACHABLE', { detail: `${where}: ${code}`, cause: error });
  }
  if (error.level === 'client-socket') {
    return new AppError('DEST_UNREACHABLE', { detail: `${where}: ${error.message}`, cause: error });
  }
  return new AppError('DEST_FAILED', { detail: `${where}: ${error.message}`, cause: error });
}

/** How a server's host key is judged: a pinned fingerprint, else one accepted by the user, else known_hosts. */
interface HostKeyPolicy {
  host: string;
  port: number;
  pinned?: string;
  accepted?: string;
  knownHosts: KnownHostEntry[] | null;
  knownHostsFile?: string;
}

/** null when the key may be trusted, else the refusal (a HostKeyError). */
function judgeHostKey(key: Buffer, policy: HostKeyPolicy, where: string): HostKeyError | null {
  const presented = { fingerprint: hostKeyFingerprint(key), keyType: hostKeyType(key) };
  const shown = `${presented.fingerprint}${presented.keyType ? ` (${presented.keyType})` : ''}`;
  if (policy.pinned) {
    if (presented.fingerprint === policy.pinned) return null;
    return new HostKeyError('HOST_KEY_CHANGED', presented, [policy.pinned], `${where}: the server presented ${shown}; the pinned key is ${policy.pinned}`);
  }
  if (policy.knownHosts) {
    const verdict = checkKnownHosts(policy.knownHosts, policy.host, policy.port, key);
    const file = policy.knownHostsFile ?? 'known_hosts';
    // a known_hosts file that lists the host with another key wins over an accepted fingerprint: never silently
    if (verdict.status === 'known') return null;
    if (verdict.status === 'changed') {
      return new HostKeyError('HOST_KEY_CHANGED', presented, verdict.listed, `${where}: the server presented ${shown}; ${file} lists ${verdict.listed.join(', ')}`);
    }
    if (verdict.status === 'revoked') {
      return new HostKeyError('HOST_KEY_CHANGED', presented, [], `${where}: the server presented ${shown}, which ${file} marks @revoked (line ${verdict.line})`);
    }
  }
  if (policy.accepted && presented.fingerprint === policy.accepted) return null;
  return new HostKeyError('HOST_KEY_UNKNOWN', presented, [], `${where}: the server presented ${shown}`);
}

/** Everything needed to (re)connect, prepared once: the key file read, known_hosts parsed. */
interface ConnectTarget {
  where: string;
  timeoutMs: number;
  policy: HostKeyPolicy;
  connect: ConnectConfig;
  password?: string;
}

/** One SSH connection with its SFTP channel, the requests in flight on it, and the stall watchdog. */
class SftpSession {
  /** why the connection can no longer be used (lost, stalled, closed); null while it can */
  failure: AppError | null = null;
  private readonly pending = new Set<(error: AppError) => void>();
  private lastProgress = Date.now();
  private readonly watchdog: NodeJS.Timeout;

  constructor(
    readonly client: Client,
    readonly sftp: SFTPWrapper,
    readonly hostKey: PresentedHostKey,
    private readonly where: string,
    timeoutMs: number,
  ) {
    this.watchdog = setInterval(() => {
      if (this.pending.size > 0 && Date.now() - this.lastProgress > timeoutMs) {
        this.lose(new AppError('DEST_UNREACHABLE', { detail: `${where}: the connection stalled (no answer for ${seconds(timeoutMs)})` }));
      }
    }, Math.max(50, Math.min(1000, timeoutMs / 8)));
    this.watchdog.unref();
    client.on('error', (error: SshError) => this.lose(connectionError(error, where, timeoutMs)));
    client.on('close', () => this.lose(new AppError('DEST_UNREACHABLE', { detail: `${where}: the connection was lost` })));
  }

  get alive(): boolean {
    return this.failure === null;
  }

  /** Marks the connection unusable, fails every request in flight with `error`, and drops it. */
  lose(error: AppError): void {
    if (this.failure === null) this.failure = error;
    clearInterval(this.watchdog);
    const waiting = [...this.pending];
    this.pending.clear();
    for (const fail of waiting) fail(this.failure);
    this.client.destroy();
  }

  /** Ends the connection politely, waiting a moment for the server to close it. */
  async end(): Promise<void> {
    if (this.failure === null) this.failure = new AppError('DEST_FAILED', { detail: `${this.where}: the connection was closed` });
    clearInterval(this.watchdog);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.client.destroy();
        resolve();
      }, 2000);
      timer.unref();
      this.client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.client.end();
    });
  }

  /**
   * Runs one SFTP request: rejects with the connection's failure when it is lost or stalls
   * (the watchdog), with CANCELLED when `signal` aborts, else with the SFTP error as it is.
   */
  request<T>(run: (sftp: SFTPWrapper, done: (error?: Error | null, value?: T) => void) => void, signal?: AbortSignal): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    if (signal?.aborted) return Promise.reject(new AppError('CANCELLED', { cause: signal.reason }));
    return new Promise<T>((resolve, reject) => {
      if (this.pending.size === 0) this.lastProgress = Date.now();
      let settled = false;
      const settle = (finish: () => void) => {
        if (settled) return;
        settled = true;
        this.pending.delete(fail);
        signal?.removeEventListener('abort', onAbort);
        finish();
      };
      const fail = (error: AppError) => settle(() => reject(error));
      const onAbort = () => settle(() => reject(new AppError('CANCELLED', { cause: signal?.reason })));
      this.pending.add(fail);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        run(this.sftp, (error, value) => {
          this.lastProgress = Date.now();
          settle(() => (error ? reject(error) : resolve(value as T)));
        });
      } catch (error) {
        settle(() => reject(error));
      }
    });
  }
}

/** Connects, checks the host key, authenticates and opens the SFTP channel, all within the timeout. */
function connectSession(target: ConnectTarget): Promise<SftpSession> {
  const { where, timeoutMs } = target;
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let refusal: HostKeyError | null = null;
    let presented: PresentedHostKey | null = null;
    let settled = false;
    const fail = (error: AppError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.destroy();
      reject(error);
    };
    // readyTimeout covers the handshake and the login; this covers opening the SFTP channel too
    const timer = setTimeout(() => fail(new AppError('DEST_UNREACHABLE', { detail: `${where}: no answer within ${seconds(timeoutMs)}` })), timeoutMs + 500);
    client.on('error', (error: SshError) => fail(refusal ?? connectionError(error, where, timeoutMs)));
    client.on('close', () => fail(refusal ?? new AppError('DEST_UNREACHABLE', { detail: `${where}: the server closed the connection` })));
    client.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) => {
      // servers that take the password through PAM ask for it this way
      finish(prompts.map(() => target.password ?? ''));
    });
    client.on('ready', () => {
      client.sftp((error, sftp) => {
        if (settled) return;
        if (error) {
          fail(new AppError('DEST_FAILED', { detail: `${where}: the server offers no SFTP (${error.message}); enable its sftp subsystem`, cause: error }));
          return;
        }
        settled = true;
        clearTimeout(timer);
        client.removeAllListeners('error');
        client.removeAllListeners('close');
        resolve(new SftpSession(client, sftp, presented!, where, timeoutMs));
      });
    });
    try {
      client.connect({
        ...target.connect,
        readyTimeout: timeoutMs,
        hostVerifier: (key: Buffer) => {
          presented = { fingerprint: hostKeyFingerprint(key), keyType: hostKeyType(key) };
          refusal = judgeHostKey(key, target.policy, where);
          return refusal === null;
        },
      });
    } catch (error) {
      fail(new AppError('DEST_FAILED', { detail: `${where}: ${(error as Error).message}`, cause: error }));
    }
  });
}

/**
 * Connects to an SSH server only to learn its host key, and disconnects: the fingerprint
 * (`SHA256:...`) the user is asked to accept for a new SFTP destination. Nothing is sent after
 * the key exchange, no login is tried.
 */
export function probeHostKey(host: string, port = 22, timeoutMs = DEFAULT_DESTINATION_TIMEOUT_MS): Promise<PresentedHostKey> {
  const where = `sftp://${host}${port === 22 ? '' : `:${port}`}`;
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let presented: PresentedHostKey | null = null;
    let settled = false;
    const finish = (error: AppError | null) => {
      if (settled) return;
      settled = true;
      client.destroy();
      if (presented) resolve(presented);
      else reject(error ?? new AppError('DEST_UNREACHABLE', { detail: `${where}: the server closed the connection before presenting a host key` }));
    };
    client.on('error', (error: SshError) => finish(connectionError(error, where, timeoutMs)));
    client.on('close', () => finish(null));
    try {
      client.connect({
        host,
        port,
        username: 'lifeboat-host-key-probe',
        readyTimeout: timeoutMs,
        hostVerifier: (key: Buffer) => {
          presented = { fingerprint: hostKeyFingerprint(key), keyType: hostKeyType(key) };
          // refusing ends the connection before any login
          setImmediate(() => finish(null));
          return false;
        },
      });
    } catch (error) {
      finish(new AppError('DEST_FAILED', { detail: `${where}: ${(error as Error).message}`, cause: error }));
    }
  });
}

/** The key file, agent or password to log in with; throws DEST_AUTH_FAILED when there is none usable. */
async function loginOptions(config: SftpDestinationConfig, options: OpenDestinationOptions, where: string): Promise<{ connect: ConnectConfig; password?: string }> {
  if (config.auth === 'password') {
    if (!options.secret) throw new AppError('DEST_AUTH_FAILED', { detail: `${where}: no password is stored for this destination` });
    return { connect: { password: options.secret, tryKeyboard: true }, password: options.secret };
  }
  const keyFile = config.keyFile ?? options.privateKeyFile;
  const connect: ConnectConfig = {};
  if (options.agentSocket) connect.agent = options.agentSocket;
  if (keyFile) {
    let data: Buffer;
    try {
      data = await fs.promises.readFile(keyFile);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new AppError('DEST_AUTH_FAILED', { detail: `${where}: the private key file ${keyFile} cannot be read (${code})`, cause: error });
    }
    const passphrase = options.secret ?? undefined;
    const parsed = ssh2.utils.parseKey(data, passphrase);
    if (parsed instanceof Error) {
      const why = /no passphrase given/i.test(parsed.message)
        ? 'is protected by a passphrase: store the passphrase for this destination'
        : /passphrase/i.test(parsed.message)
          ? 'cannot be decrypted: the stored passphrase is wrong'
          : `is not a private key Lifeboat can use (${parsed.message.replace(/^Cannot parse privateKey: /, '')})`;
      throw new AppError('DEST_AUTH_FAILED', { detail: `${where}: the private key file ${keyFile} ${why}` });
    }
    connect.privateKey = data;
    if (passphrase) connect.passphrase = passphrase;
  } else if (!options.agentSocket) {
    throw new AppError('DEST_AUTH_FAILED', { detail: `${where}: no private key file is set and no ssh agent is running; choose the key file for this destination` });
  }
  return { connect };
}

/** The server host key algorithms with those known_hosts lists for the host first, or undefined for ssh2's order. */
function preferredHostKeyAlgorithms(types: string[]): ConnectConfig['algorithms'] {
  if (types.length === 0) return undefined;
  const first = types.flatMap((type) => (type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type])).filter((a) => HOST_KEY_ALGORITHMS.includes(a));
  if (first.length === 0) return undefined;
  const order = [...new Set([...first, ...HOST_KEY_ALGORITHMS])];
  return { serverHostKey: order as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] };
}

const sftpCode = (error: unknown): number | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
};

/** An SFTP request's error as an AppError: `writing` tells a write (PERMISSION_DENIED: not writable) from a read. */
function requestError(error: unknown, where: string, writing: boolean): AppError {
  if (error instanceof AppError) return error;
  const code = sftpCode(error);
  const message = (error as Error).message;
  if (code === FX.NO_SUCH_FILE) return new AppError('NOT_FOUND', { detail: where, cause: error });
  if (code === FX.PERMISSION_DENIED) {
    return writing
      ? new AppError('DEST_NOT_WRITABLE', { detail: `${where}: permission denied`, cause: error })
      : new AppError('DEST_FAILED', { detail: `${where}: permission denied`, cause: error });
  }
  if (code === FX.NO_CONNECTION || code === FX.CONNECTION_LOST || /no response from server/i.test(message)) {
    return new AppError('DEST_UNREACHABLE', { detail: `${where}: the connection was lost`, cause: error });
  }
  if (writing && /no space|quota|disk full/i.test(message)) return new AppError('DEST_FULL', { detail: where, cause: error });
  return new AppError('DEST_FAILED', { detail: `${where}: ${message}`, cause: error });
}

/**
 * A Writable onto an open remote file: each chunk goes out as PIECE-sized SFTP writes, with up
 * to IN_FLIGHT of them unanswered; beyond that the chunk's callback waits (backpressure), and the
 * stream finishes only when the server answered every write.
 */
class SftpFileWriter extends Writable {
  private position = 0;
  private inFlight = 0;
  private failure: unknown = null;
  private wake: (() => void) | null = null;

  constructor(
    private readonly session: SftpSession,
    private readonly handle: Buffer,
  ) {
    super({ highWaterMark: PIECE * 4 });
  }

  /** Waits until at most `limit` writes are in flight (or one failed). */
  private async settleTo(limit: number): Promise<void> {
    while (this.inFlight > limit && this.failure === null) await new Promise<void>((resolve) => (this.wake = resolve));
  }

  private send(piece: Buffer, position: number): void {
    this.inFlight++;
    this.session
      .request<void>((sftp, done) => sftp.write(this.handle, piece, 0, piece.length, position, (error) => done(error)))
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => {
        this.inFlight--;
        const wake = this.wake;
        this.wake = null;
        wake?.();
      });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    (async () => {
      for (let at = 0; at < chunk.length; at += PIECE) {
        await this.settleTo(IN_FLIGHT - 1);
        if (this.failure !== null) throw this.failure;
        const piece = chunk.subarray(at, Math.min(chunk.length, at + PIECE));
        this.send(piece, this.position);
        this.position += piece.length;
      }
    })().then(() => callback(), (error: Error) => callback(error));
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.settleTo(0).then(() => callback(this.failure as Error | null));
  }
}

/** An SFTP server's folder as a Destination. Open one with openSftpDestination. */
export class SftpDestination implements Destination {
  readonly kind = 'sftp' as const;
  readonly url: string;
  private current: SftpSession | null = null;
  private connecting: Promise<SftpSession> | null = null;
  private closed = false;
  /** the root folder, absolute (a relative config path is resolved against the login folder) */
  private root = '';
  private lastHostKey: PresentedHostKey | null = null;
  /** folders known to exist, so that writes do not stat them again */
  private readonly folders = new Set<string>();

  constructor(
    private readonly config: SftpDestinationConfig,
    private readonly target: ConnectTarget,
  ) {
    this.url = destinationUrl(config);
  }

  /** The key the server presented on the last connection (what was pinned or accepted); null before any. */
  get hostKey(): PresentedHostKey | null {
    return this.lastHostKey;
  }

  urlOf(key: string): string {
    return `${this.url}/${checkKey(key)}`;
  }

  /** Connects now (openSftpDestination does), rather than at the first request. */
  async connect(): Promise<void> {
    await this.session();
  }

  /** The open connection, or a new one when there is none (or it was lost). */
  private async session(): Promise<SftpSession> {
    if (this.closed) throw new AppError('DEST_FAILED', { detail: `${this.url}: used after it was closed` });
    if (this.current?.alive) return this.current;
    this.connecting ??= (async () => {
      try {
        const session = await connectSession(this.target);
        if (this.root === '') {
          const configured = this.config.path.replace(/^~(\/|$)/, '');
          let root = configured;
          if (!path.posix.isAbsolute(configured)) {
            const home = await session.request<string>((sftp, done) => sftp.realpath('.', done)).catch((error: unknown) => {
              session.lose(requestError(error, this.url, false));
              throw requestError(error, this.url, false);
            });
            root = path.posix.join(home, configured);
          }
          this.root = path.posix.normalize(root).replace(/(.)\/+$/, '$1');
        }
        this.folders.clear();
        this.current = session;
        this.lastHostKey = session.hostKey;
        return session;
      } finally {
        this.connecting = null;
      }
    })();
    return this.connecting;
  }

  private remote(key: string): string {
    return path.posix.join(this.root, checkKey(key));
  }

  /** `mkdir -p` of `folder` under the root; the root itself is created when its parent exists, else DEST_MISSING. */
  private async makeFolders(session: SftpSession, folder: string): Promise<void> {
    if (this.folders.has(folder)) return;
    const relative = path.posix.relative(this.root, folder);
    const chain = [this.root];
    if (relative !== '') for (const part of relative.split('/')) chain.push(path.posix.join(chain[chain.length - 1], part));
    for (const dir of chain) {
      if (this.folders.has(dir)) continue;
      let stats = await this.statPath(session, dir, true);
      if (stats === null) {
        try {
          await session.request<void>((sftp, done) => sftp.mkdir(dir, { mode: 0o700 }, (error) => done(error)));
        } catch (error) {
          if (dir === this.root && sftpCode(error) === FX.NO_SUCH_FILE) {
            throw new AppError('DEST_MISSING', { detail: `${this.url}: the folder ${path.posix.dirname(this.root)} does not exist on the server`, cause: error });
          }
          // another writer may have made it meanwhile
          stats = await this.statPath(session, dir, true);
          if (stats === null) throw requestError(error, `${this.url}: creating ${dir}`, true);
        }
      }
      if (stats !== null && !stats.isDirectory()) throw new AppError('DEST_FAILED', { detail: `${this.url}: ${dir} is a file, not a folder` });
      this.folders.add(dir);
    }
  }

  private async statPath(session: SftpSession, remotePath: string, writing = false): Promise<Stats | null> {
    try {
      return await session.request<Stats>((sftp, done) => sftp.stat(remotePath, done));
    } catch (error) {
      if (sftpCode(error) === FX.NO_SUCH_FILE) return null;
      throw requestError(error, `${this.url}: ${remotePath}`, writing);
    }
  }

  /** Renames `.part` over the key: OpenSSH's posix-rename replaces an existing file atomically. */
  private async commit(session: SftpSession, part: string, final: string): Promise<void> {
    try {
      await session.request<void>((sftp, done) => sftp.ext_openssh_rename(part, final, (error) => done(error)));
      return;
    } catch (error) {
      if (sftpCode(error) !== undefined || error instanceof AppError) throw error;
      // a server without posix-rename (not OpenSSH): plain SFTP rename refuses an existing target
    }
    try {
      await session.request<void>((sftp, done) => sftp.rename(part, final, (error) => done(error)));
    } catch (error) {
      if (sftpCode(error) !== FX.FAILURE) throw error;
      await session.request<void>((sftp, done) => sftp.unlink(final, (e) => done(e)));
      await session.request<void>((sftp, done) => sftp.rename(part, final, (e) => done(e)));
    }
  }

  /** A failed write's error: a generic SSH_FX_FAILURE with (almost) no free space left is DEST_FULL. */
  private async writeError(session: SftpSession | null, error: unknown, final: string, part: string): Promise<AppError> {
    const where = this.urlOf(path.posix.relative(this.root, final));
    if (error instanceof AppError) return error;
    if (sftpCode(error) === undefined) {
      // the source stream failed, not the server
      return new AppError('DEST_FAILED', { detail: `${where}: ${(error as Error).message}`, cause: error });
    }
    if (sftpCode(error) === FX.FAILURE && session?.alive) {
      // OpenSSH reports ENOSPC and EDQUOT as a bare "Failure": ask the folder's file system
      const info = await session
        .request<{ f_bavail: number; f_frsize: number }>((sftp, done) => sftp.ext_openssh_statvfs(path.posix.dirname(part), done))
        .catch(() => null);
      if (info && info.f_bavail * info.f_frsize < FULL_BELOW_BYTES) {
        return new AppError('DEST_FULL', { detail: `${where}: no space left on the server's disk`, cause: error });
      }
    }
    return requestError(error, where, true);
  }

  async write(key: string, source: Readable, options: WriteOptions = {}): Promise<WriteResult> {
    const final = this.remote(key);
    const part = `${final}.part`;
    const count = new HashStream(() => options.onProgress?.(count.bytes));
    let sha256 = '';
    let session: SftpSession | null = null;
    let handle: Buffer | null = null;
    let created = false;
    try {
      if (options.signal?.aborted) throw new AppError('CANCELLED', { cause: options.signal.reason });
      session = await this.session();
      const live = session;
      await this.makeFolders(live, path.posix.dirname(final));
      const open = () => live.request<Buffer>((sftp, done) => sftp.open(part, 'w', { mode: 0o600 }, done), options.signal);
      try {
        handle = await open();
      } catch (error) {
        if (sftpCode(error) !== FX.NO_SUCH_FILE) throw error;
        // the folder went away since it was made: make it again
        this.folders.clear();
        await this.makeFolders(live, path.posix.dirname(final));
        handle = await open();
      }
      created = true;
      await pipeline(source, count, new SftpFileWriter(live, handle), { signal: options.signal });
      if (options.size !== undefined && options.size !== count.bytes) {
        throw new AppError('DEST_FAILED', { detail: `${this.urlOf(key)}: wrote ${count.bytes} of ${options.size} bytes` });
      }
      sha256 = count.digest();
      // SFTP has no server-side checksum: check the one the caller knows before the key becomes visible
      if (options.sha256 !== undefined && options.sha256.toLowerCase() !== sha256) {
        throw new AppError('DEST_FAILED', { detail: `${this.urlOf(key)}: the bytes sent have SHA-256 ${sha256}, not the expected ${options.sha256}` });
      }
      const written = handle;
      handle = null;
      await live.request<void>((sftp, done) => sftp.close(written, (error) => done(error)));
      if (options.signal?.aborted) throw new AppError('CANCELLED', { cause: options.signal.reason });
      await this.commit(live, part, final);
    } catch (error) {
      const failure = options.signal?.aborted
        ? new AppError('CANCELLED', { cause: error })
        : await this.writeError(session, error, final, part);
      if (session?.alive && created) {
        // best effort: a lost connection leaves the .part behind, which list() never shows
        const open = handle;
        if (open) await session.request<void>((sftp, done) => sftp.close(open, (e) => done(e))).catch(() => undefined);
        await session.request<void>((sftp, done) => sftp.unlink(part, (e) => done(e))).catch(() => undefined);
      }
      throw failure;
    }
    return { size: count.bytes, sha256 };
  }

  async list(prefix = ''): Promise<ObjectInfo[]> {
    const session = await this.session();
    const out: ObjectInfo[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries: FileEntryWithStats[];
      try {
        entries = await session.request<FileEntryWithStats[]>((sftp, done) => sftp.readdir(dir, done));
      } catch (error) {
        if (sftpCode(error) === FX.NO_SUCH_FILE) {
          if (rel === '') throw new AppError('DEST_MISSING', { detail: `${this.url}: the folder ${this.root} does not exist on the server`, cause: error });
          return; // deleted while listing
        }
        throw requestError(error, `${this.url}: listing ${dir}`, false);
      }
      for (const entry of entries) {
        const key = rel ? `${rel}/${entry.filename}` : entry.filename;
        if (entry.attrs.isDirectory()) {
          // only folders that can hold keys with the prefix
          if (prefix.startsWith(`${key}/`) || `${key}/`.startsWith(prefix)) await walk(`${dir}/${entry.filename}`, key);
        } else if (entry.attrs.isFile() && key.startsWith(prefix) && !key.endsWith('.part')) {
          out.push({ key, size: entry.attrs.size, modifiedAt: new Date(entry.attrs.mtime * 1000) });
        }
      }
    };
    await walk(this.root, '');
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    const remotePath = this.remote(key);
    const session = await this.session();
    const stats = await this.statPath(session, remotePath);
    return stats?.isFile() ? { key, size: stats.size, modifiedAt: new Date(stats.mtime * 1000) } : null;
  }

  /** Opens `key` for reading; NOT_FOUND when there is no such object. */
  private async openForRead(session: SftpSession, key: string, signal?: AbortSignal): Promise<Buffer> {
    const remotePath = this.remote(key);
    try {
      return await session.request<Buffer>((sftp, done) => sftp.open(remotePath, 'r', done), signal);
    } catch (error) {
      throw requestError(error, this.urlOf(key), false);
    }
  }

  /** Reads up to `length` bytes at `position` with pipelined requests; fewer only at the end of the file. */
  private async readAt(session: SftpSession, handle: Buffer, position: number, length: number, signal?: AbortSignal): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(length);
    const readPiece = (offset: number, size: number) =>
      session.request<number>((sftp, done) => sftp.read(handle, buffer, offset, size, position + offset, (error, bytes) => done(error, bytes)), signal);
    let filled = 0;
    while (filled < length) {
      const offsets: number[] = [];
      for (let at = filled; at < length && offsets.length < IN_FLIGHT; at += PIECE) offsets.push(at);
      const sizes = offsets.map((at) => Math.min(PIECE, length - at));
      const got = await Promise.all(offsets.map((at, i) => readPiece(at, sizes[i])));
      // keep what arrived contiguously; a short piece means the end of the file (or a server that reads less)
      let short = false;
      for (let i = 0; i < offsets.length && !short; i++) {
        filled += got[i];
        short = got[i] < sizes[i];
      }
      if (short) {
        // read on from there one request at a time until the end of the file
        for (;;) {
          if (filled >= length) break;
          const bytes = await readPiece(filled, Math.min(PIECE, length - filled));
          if (bytes === 0) return buffer.subarray(0, filled);
          filled += bytes;
        }
      }
    }
    return buffer.subarray(0, filled);
  }

  private closeHandle(session: SftpSession, handle: Buffer): Promise<void> {
    if (!session.alive) return Promise.resolve();
    return session.request<void>((sftp, done) => sftp.close(handle, (e) => done(e))).catch(() => undefined);
  }

  async read(key: string, start: number, length: number, signal?: AbortSignal): Promise<Buffer> {
    checkKey(key);
    const session = await this.session();
    const handle = await this.openForRead(session, key, signal);
    try {
      return length > 0 ? await this.readAt(session, handle, start, length, signal) : Buffer.alloc(0);
    } catch (error) {
      throw requestError(error, this.urlOf(key), false);
    } finally {
      await this.closeHandle(session, handle);
    }
  }

  readStream(key: string, start = 0, end?: number, signal?: AbortSignal): Readable {
    checkKey(key);
    let position = start;
    let ended = false;
    let opened: { session: SftpSession; handle: Buffer } | null = null;
    const stream = new Readable({
      highWaterMark: PIECE * IN_FLIGHT,
      read: () => {
        (async () => {
          if (!opened) {
            const session = await this.session();
            opened = { session, handle: await this.openForRead(session, key, signal) };
          }
          if (ended) return;
          const want = Math.min(PIECE * IN_FLIGHT, end === undefined ? Infinity : end - position);
          const data = want > 0 ? await this.readAt(opened.session, opened.handle, position, want, signal) : Buffer.alloc(0);
          position += data.length;
          // a short read is the end of the file (or of the range)
          ended = data.length < want || position === end;
          if (data.length > 0) stream.push(data);
          if (ended) stream.push(null);
        })().catch((error: unknown) => stream.destroy(requestError(error, this.urlOf(key), false)));
      },
      destroy: (error, callback) => {
        signal?.removeEventListener('abort', onAbort);
        const done = () => callback(error);
        if (opened) this.closeHandle(opened.session, opened.handle).then(done, done);
        else done();
      },
    });
    const onAbort = () => stream.destroy(new AppError('CANCELLED', { cause: signal?.reason }));
    if (signal?.aborted) queueMicrotask(onAbort);
    else signal?.addEventListener('abort', onAbort, { once: true });
    return stream;
  }

  async delete(key: string): Promise<void> {
    const remotePath = this.remote(key);
    const session = await this.session();
    try {
      await session.request<void>((sftp, done) => sftp.unlink(remotePath, (error) => done(error)));
    } catch (error) {
      if (sftpCode(error) === FX.NO_SUCH_FILE) return;
      throw requestError(error, this.urlOf(key), true);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const session = this.current ?? (await this.connecting?.catch(() => null)) ?? null;
    this.current = null;
    if (session?.alive) await session.end();
  }
}

/**
 * Opens an SFTP destination: connects (host key checked, logged in, SFTP channel open) and
 * resolves its folder. The host key must equal `config.hostKey` when one is pinned; else it must
 * be `options.acceptHostKey`, or listed for the host in `options.knownHostsFile`; else the
 * connection is refused with a HostKeyError (HOST_KEY_UNKNOWN / HOST_KEY_CHANGED) that carries
 * the fingerprint the server presented. Logs in with the key file (config.keyFile, else
 * options.privateKeyFile; passphrase: options.secret), the password (options.secret), or the ssh
 * agent at options.agentSocket.
 */
export async function openSftpDestination(config: SftpDestinationConfig, options: OpenDestinationOptions): Promise<SftpDestination> {
  const url = destinationUrl(config);
  const timeoutMs = options.timeoutMs ?? DEFAULT_DESTINATION_TIMEOUT_MS;
  let knownHosts: KnownHostEntry[] | null = null;
  if (!config.hostKey && options.knownHostsFile) {
    try {
      knownHosts = parseKnownHosts(await fs.promises.readFile(options.knownHostsFile, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new AppError('DEST_FAILED', { detail: `${url}: the known_hosts file ${options.knownHostsFile} cannot be read`, cause: error });
      }
      knownHosts = [];
    }
  }
  const login = await loginOptions(config, options, url);
  const algorithms = knownHosts ? preferredHostKeyAlgorithms(knownHostKeyTypes(knownHosts, config.host, config.port)) : undefined;
  const keepaliveInterval = Math.max(1000, Math.floor(timeoutMs / 2));
  const target: ConnectTarget = {
    where: url,
    timeoutMs,
    password: login.password,
    policy: {
      host: config.host,
      port: config.port,
      pinned: config.hostKey,
      accepted: options.acceptHostKey,
      knownHosts,
      knownHostsFile: options.knownHostsFile,
    },
    connect: {
      host: config.host,
      port: config.port,
      username: config.user,
      keepaliveInterval,
      keepaliveCountMax: 2,
      ...(algorithms ? { algorithms } : {}),
      ...login.connect,
    },
  };
  const destination = new SftpDestination(config, target);
  await destination.connect();
  return destination;
}
