/**
 * The sandboxed preload: exposes `window.lifeboat`, built from the IPC contract, and nothing
 * else. A sandboxed preload can load only 'electron', so it imports nothing else at run time:
 * the contract comes in as types, and the channel lists below are checked against it by the
 * compiler (a channel missing or extra is a type error), which keeps them from drifting.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { TransferableError } from '../shared/errors';
import type {
  EVENT_PREFIX as ContractEventPrefix,
  InvokeChannel,
  InvokeResult,
  LifeboatApi,
  PushChannel,
  PushEvents,
} from '../shared/ipc-contract';

/** Every invoke channel of the contract, exactly (Record keys must match InvokeChannel). */
const INVOKE_CHANNELS: Record<InvokeChannel, true> = {
  'app/get-info': true,
  'app/set-paused': true,
  'app/take-pending-file': true,
  'jobs/list': true,
  'jobs/get': true,
  'jobs/cancel': true,
  'jobs/export-csv': true,
  'jobs/stats': true,
  'plans/list': true,
  'plans/get': true,
  'destinations/test': true,
  'backups/copies': true,
  'plans/offsite-status': true,
  'plans/save': true,
  'plans/delete': true,
  'plans/run-now': true,
  'plans/check-dump-filter': true,
  'plans/next-backup': true,
  'plans/set-next-full': true,
  'backups/preview-delete': true,
  'backups/delete': true,
  'audit/list': true,
  'scheduler/status': true,
  'scheduler/reinitialize': true,
  'plans/preview-schedule': true,
  'plans/presets': true,
  'plans/test-connection': true,
  'dialog/pick-path': true,
  'notify/list-channels': true,
  'notify/save-channel': true,
  'notify/delete-channel': true,
  'notify/test-channel': true,
  'alerts/list': true,
  'settings/get': true,
  'settings/set': true,
  'backups/inspect': true,
  'backups/import': true,
  'backups/rebuild-catalog': true,
  'verify/run': true,
  'verify/run-all': true,
  'verify/drill': true,
  'verify/list': true,
  'restore/preview': true,
  'restore/start': true,
  'restore/list': true,
  'updates/status': true,
  'updates/check': true,
  'updates/set-auto-check': true,
  'app/open-logs-folder': true,
};

/** Every pushed event of the contract, exactly. */
const PUSH_CHANNELS: Record<PushChannel, true> = {
  'jobs/updated': true,
  'app/paused-changed': true,
  'plans/changed': true,
  'app/open-job': true,
  'alerts/raised': true,
  'app/open-file': true,
};

const EVENT_PREFIX: typeof ContractEventPrefix = 'event:';

const own = (table: object, key: unknown): boolean =>
  typeof key === 'string' && Object.prototype.hasOwnProperty.call(table, key);

function failure(code: TransferableError['code'], message: string): { ok: false; error: TransferableError } {
  return { ok: false, error: { code, message } };
}

const api = {
  async invoke<K extends InvokeChannel>(channel: K, request?: unknown): Promise<InvokeResult<K>> {
    // the page is not trusted to respect the types: refuse anything outside the contract here too
    if (!own(INVOKE_CHANNELS, channel)) return failure('VALIDATION', `Unknown channel: ${String(channel)}`);
    try {
      return (await ipcRenderer.invoke(channel, request)) as InvokeResult<K>;
    } catch (error) {
      // only transport failures land here (e.g. an argument that cannot be cloned); handler
      // errors come back as an { ok: false } envelope
      return failure('INTERNAL', `The request could not be sent: ${error instanceof Error ? error.message : String(error)}`);
    }
  },

  on<E extends PushChannel>(event: E, listener: (payload: PushEvents[E]) => void): () => void {
    if (!own(PUSH_CHANNELS, event)) throw new TypeError(`Unknown event: ${String(event)}`);
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    // the page gets the payload only, never Electron's event object (it exposes the sender)
    const wrapped = (_event: Electron.IpcRendererEvent, payload: PushEvents[E]) => listener(payload);
    ipcRenderer.on(EVENT_PREFIX + event, wrapped);
    return () => {
      ipcRenderer.removeListener(EVENT_PREFIX + event, wrapped);
    };
  },

  pathForFile(file: File): string | null {
    try {
      return webUtils.getPathForFile(file) || null;
    } catch {
      return null; // not a File from a drop or a file input
    }
  },
} satisfies LifeboatApi;

contextBridge.exposeInMainWorld('lifeboat', api);
