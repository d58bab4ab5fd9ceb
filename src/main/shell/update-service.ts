/**
 * Checking for updates, as the user asked: automatically at start and every few hours unless
 * turned off in Settings (off: Lifeboat never checks on its own), and on demand (Help > Check for
 * updates, Settings). Never throws and never nags: a build without a feed answers "not
 * configured" without touching the network, a failed check is logged and reported only to the
 * user who asked. electron-updater is behind UpdaterPort (updater.ts), so this runs in Node.
 */
import type { UpdateCheckResult, UpdateStatus } from '../../shared/ipc-contract';
import { AUTO_CHECK_KEY, describeUpdateCheck, type UpdateCheckEvent, type UpdateFeed } from './update-feed';

/** What the service needs of electron-updater. */
export interface UpdaterPort {
  /** Checks the feed; resolves with the newer version (its download then starts), or null. */
  check(): Promise<string | null>;
  /** Called when a newer version has been downloaded (installed when the app quits). */
  onDownloaded(listener: (version: string) => void): void;
}

/** Where the user's choice is kept (the catalog's settings table in the app). */
export interface UpdateSettingsStore {
  get<T>(key: string, fallback: T): T;
  set(key: string, value: unknown): void;
}

export interface UpdateServiceOptions {
  feed: UpdateFeed;
  currentVersion: string;
  /** builds the real updater on first use (only when a feed is configured) */
  createUpdater: () => UpdaterPort;
  settings: UpdateSettingsStore;
  /** writes a line to the app's log */
  log(message: string): void;
  /** records the user's change in the audit log */
  audit?(action: string, details: Record<string, unknown>): void;
  /** tells the user a downloaded update will be installed on quit */
  onDownloaded?(result: UpdateCheckResult): void;
  now?: () => Date;
  /** between automatic checks; default 6 hours */
  intervalMs?: number;
  /** after start-up, so that the first check does not compete with catch-up backups */
  firstDelayMs?: number;
  setTimer?: (fn: () => void, ms: number) => { cancel(): void };
}

const SIX_HOURS = 6 * 60 * 60 * 1000;

const defaultTimer = (fn: () => void, ms: number) => {
  const handle = setTimeout(fn, ms);
  handle.unref?.();
  return { cancel: () => clearTimeout(handle) };
};

export class UpdateService {
  private updater: UpdaterPort | null = null;
  private running: Promise<UpdateCheckResult> | null = null;
  private lastCheck: UpdateCheckResult | null = null;
  private timer: { cancel(): void } | null = null;
  private started = false;

  constructor(private readonly options: UpdateServiceOptions) {}

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  autoCheck(): boolean {
    return this.options.settings.get<boolean>(AUTO_CHECK_KEY, true) !== false;
  }

  status(): UpdateStatus {
    const feed = this.options.feed;
    return {
      configured: feed.configured,
      reason: feed.configured ? null : feed.reason,
      autoCheck: this.autoCheck(),
      currentVersion: this.options.currentVersion,
      lastCheck: this.lastCheck,
    };
  }

  /** Turns the automatic check on or off (kept across starts). */
  setAutoCheck(enabled: boolean): UpdateStatus {
    if (enabled !== this.autoCheck()) {
      this.options.settings.set(AUTO_CHECK_KEY, enabled);
      this.options.audit?.('settings.update', { autoCheckUpdates: enabled });
    }
    if (this.started) this.schedule(enabled ? (this.options.firstDelayMs ?? 0) : null);
    return this.status();
  }

  /** One check now; concurrent callers share it. Resolves, never rejects. */
  check(): Promise<UpdateCheckResult> {
    this.running ??= this.runCheck().finally(() => (this.running = null));
    return this.running;
  }

  /** Starts the automatic checks, if the user allows them and the build has a feed. */
  start(): void {
    this.started = true;
    if (this.autoCheck()) this.schedule(this.options.firstDelayMs ?? 10_000);
    else this.options.log('Updates: automatic check turned off in Settings; not checking.');
  }

  stop(): void {
    this.started = false;
    this.schedule(null);
  }

  private schedule(delayMs: number | null): void {
    this.timer?.cancel();
    this.timer = null;
    if (delayMs === null || !this.options.feed.configured) return;
    const setTimer = this.options.setTimer ?? defaultTimer;
    this.timer = setTimer(() => {
      void this.check().then(() => {
        if (this.started && this.autoCheck()) this.schedule(this.options.intervalMs ?? SIX_HOURS);
      });
    }, delayMs);
  }

  private async runCheck(): Promise<UpdateCheckResult> {
    const feed = this.options.feed;
    let event: UpdateCheckEvent;
    if (!feed.configured) {
      event = { kind: 'not-configured', reason: feed.reason };
    } else {
      try {
        const version = await this.port().check();
        event = version ? { kind: 'available', version } : { kind: 'up-to-date' };
      } catch (error) {
        event = { kind: 'failed', error };
      }
    }
    const result = describeUpdateCheck(event, this.options.currentVersion, this.now());
    // a finished download outranks a later "available" for the same version
    if (!(this.lastCheck?.outcome === 'downloaded' && result.version === this.lastCheck.version)) this.lastCheck = result;
    this.options.log(`Updates: ${result.message}`);
    return this.lastCheck;
  }

  private port(): UpdaterPort {
    if (!this.updater) {
      this.updater = this.options.createUpdater();
      this.updater.onDownloaded((version) => {
        const result = describeUpdateCheck({ kind: 'downloaded', version }, this.options.currentVersion, this.now());
        this.lastCheck = result;
        this.options.log(`Updates: ${result.message}`);
        this.options.onDownloaded?.(result);
      });
    }
    return this.updater;
  }
}
