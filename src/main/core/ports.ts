/**
 * The small interfaces core depends on. The shell passes real implementations (Electron's
 * safeStorage, Notification); the CLI and tests pass plain-Node ones. Core never imports electron.
 */
import { PUSH_CHANNELS, type PickPathKind, type PushChannel, type PushEvents } from '../../shared/ipc-contract';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * Where secrets live: the OS keychain in the app (safeStorage), memory or environment in the CLI.
 * Keys look like `db:<planId>:<sourceId>` and `passphrase:<planId>`.
 */
export interface SecretStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Reads a secret a plan names by reference (env:NAME, file:/path; `what` says whose, for the
   * message) or throws SECRET_UNAVAILABLE. Only a store that can read them has it (the command
   * line's); the core then answers a plan's keys from its references (plans/secret-refs.ts).
   */
  resolveReference?(ref: string, what: string): Promise<string>;
}

/**
 * The OS login item, from the shell (Electron's login item settings, an XDG autostart entry):
 * start Lifeboat when the user logs in, minimised to the tray, so that schedules run.
 */
export interface DesktopIntegration {
  getStartAtLogin(): boolean;
  setStartAtLogin(on: boolean): void;
}

/**
 * The OS open dialog, from the shell (Electron's dialog.showOpenDialog): the Browse buttons of
 * the window pick a folder, a backup file or a key file with it. Resolves null when the user cancelled.
 * Only the desktop app has one; the browser tests answer with a fixed path.
 */
export interface PathPicker {
  pick(request: { kind: PickPathKind; title?: string; defaultPath?: string }): Promise<string | null>;
}

/** A desktop (or other channel) notification. */
export interface Notifier {
  notify(message: { title: string; body: string; jobId?: string; level: 'info' | 'error' }): void;
}

export const silentNotifier: Notifier = { notify: () => undefined };

export type EventListener<E extends PushChannel> = (payload: PushEvents[E]) => void;

/** Typed publish/subscribe for pushed events; the IPC bridge, tray and notifications subscribe. */
export class EventBus {
  private readonly listeners = new Map<PushChannel, Set<(payload: unknown) => void>>();

  on<E extends PushChannel>(event: E, listener: EventListener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (payload: unknown) => void);
    return () => set!.delete(listener as (payload: unknown) => void);
  }

  /** Subscribes to every event (the IPC and test bridges forward them all). */
  onAny(listener: <E extends PushChannel>(event: E, payload: PushEvents[E]) => void): () => void {
    const offs = PUSH_CHANNELS.map((event) =>
      this.on(event, (payload) => listener(event, payload as never)),
    );
    return () => offs.forEach((off) => off());
  }

  emit<E extends PushChannel>(event: E, payload: PushEvents[E]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        listener(payload);
      } catch {
        // one broken subscriber must not stop the others, nor the job that emitted
      }
    }
  }
}

/** An in-memory SecretStore for tests and one-shot CLI runs. */
export class MemorySecretStore implements SecretStore {
  private readonly values = new Map<string, string>();
  async get(key: string): Promise<string | null> {
    return this.values.get(key) ?? null;
  }
  async set(key: string, value: string): Promise<void> {
    this.values.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }
}
