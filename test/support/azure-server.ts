/**
 * Microsoft's Azurite blob service for integration tests: a child process on a free 127.0.0.1
 * port (it reports the port it got), the well-known development account devstoreaccount1, data
 * in memory or in a folder (so it survives a restart, or lives on a small tmpfs to fill up).
 * `--skipApiVersionCheck` because the SDK may be newer than this Azurite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';

/** Azurite's development account and its published key (not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** containers to create once it runs */
  containers?: string[];
  /**
   * where the data lives: 'memory' (the default), 'temp' (a temp folder, removed by dispose(), so
   * the data survives restart()), or a folder the caller owns (e.g. a small tmpfs)
   */
  storage?: 'memory' | 'temp' | { location: string };
  /** in-memory only: the megabytes Azurite may keep (--extentMemoryLimit) */
  memoryLimitMb?: number;
  /** a file for Azurite's debug log (--debug), to see what it did with a request */
  debugLog?: string;
}

export interface AzuriteServer {
  /** http://127.0.0.1:PORT/devstoreaccount1 */
  readonly endpoint: string;
  readonly account: string;
  readonly key: string;
  readonly port: number;
  /** the data folder, null in memory */
  readonly location: string | null;
  /** for AZURE_STORAGE_CONNECTION_STRING */
  readonly connectionString: string;
  /** a client with the account key, for setting up and checking */
  serviceClient(): BlobServiceClient;
  createContainer(name: string): Promise<void>;
  /** Stops the process (SIGTERM, then SIGKILL after 3 s); safe to call twice. The data folder stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data folder (in memory: empty again). */
  restart(): Promise<void>;
  /** stop() and remove a temp data folder */
  dispose(): Promise<void>;
}

function azuriteBin(): string {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('azurite/package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8')) as { bin: Record<string, string> };
  return path.join(path.dirname(pkgPath), pkg.bin['azurite-blob']);
}

/** children still running, killed if the test process exits without stopping them */
const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

/** Spawns azurite-blob and resolves with the port it listens on. */
function spawnAzurite(args: string[], cwd: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [azuriteBin(), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Azurite did not start within 20 s:\n${output}`));
    }, 20_000);
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = /successfully listens on https?:\/\/[^:\s]+:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]) });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
}

function stopChild(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts Azurite's blob service; dispose() it in afterAll. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<AzuriteServer> {
  const storage = options.storage ?? 'memory';
  const ownsLocation = storage === 'temp';
  const location = storage === 'memory' ? null : storage === 'temp' ? fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-azurite-')) : storage.location;
  // azurite writes a debug log and its metadata database into the cwd/location: keep both out of the repo
  const cwd = location ?? os.tmpdir();
  const baseArgs = ['--blobHost', '127.0.0.1', '--silent', '--skipApiVersionCheck', '--disableTelemetry'];
  if (options.debugLog) baseArgs.push('--debug', options.debugLog);
  if (location) baseArgs.push('--location', location);
  else {
    baseArgs.push('--inMemoryPersistence');
    if (options.memoryLimitMb !== undefined) baseArgs.push('--extentMemoryLimit', String(options.memoryLimitMb));
  }

  const started = await spawnAzurite([...baseArgs, '--blobPort', '0'], cwd);
  const port = started.port;
  let current: ChildProcess | null = started.child;
  const endpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  const serviceClient = () => new BlobServiceClient(endpoint, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY), { retryOptions: { maxTries: 1 } });
  const createContainer = async (name: string) => {
    await serviceClient().getContainerClient(name).createIfNotExists();
  };
  const stop = async () => {
    const was = current;
    current = null;
    await stopChild(was);
  };
  const server: AzuriteServer = {
    endpoint,
    account: AZURITE_ACCOUNT,
    key: AZURITE_KEY,
    port,
    location,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${endpoint};`,
    serviceClient,
    createContainer,
    stop,
    async restart() {
      await stop();
      current = (await spawnAzurite([...baseArgs, '--blobPort', String(port)], cwd)).child;
    },
    async dispose() {
      await stop();
      if (ownsLocation && location) fs.rmSync(location, { recursive: true, force: true });
    },
  };
  try {
    for (const name of options.containers ?? []) await createContainer(name);
  } catch (error) {
    await server.dispose();
    throw error;
  }
  return server;
}
