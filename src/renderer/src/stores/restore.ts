/**
 * The backup open in the Restore screen: chosen from the catalog, typed as a path, dropped onto
 * the window or opened from the file manager. Holds its inspection, the passphrase the user
 * typed (only in memory, only for this backup), the last restore preview and the restore and
 * verification jobs started from it. Kept in a store so that leaving the screen and coming back
 * does not lose a running restore.
 */
import { create } from 'zustand';
import type {
  BackupInspection,
  DatabaseTargetInput,
  FilesTargetInput,
  ImportResult,
  RestorePreview,
} from '../../../shared/restore';
import { call } from '../lib/api';
import { toUiError, type UiError } from '../lib/errors';

export interface RestoreRequest {
  database?: DatabaseTargetInput;
  files?: FilesTargetInput;
}

export interface OpenBackup {
  /** absolute path, as main resolved it */
  filePath: string;
  /** typed by the user for an encrypted file; null: not needed, or the plan's keychain entry */
  passphrase: string | null;
  inspection: BackupInspection;
}

interface RestoreState {
  /** the path being opened (shown while inspecting or asking for the passphrase) */
  requestedPath: string | null;
  opening: boolean;
  openError: UiError | null;
  backup: OpenBackup | null;
  unlocking: boolean;
  passphraseError: UiError | null;
  importing: boolean;
  importResult: ImportResult | null;
  importError: UiError | null;
  previewing: boolean;
  preview: RestorePreview | null;
  /** the target the preview was made for (see targetKey) */
  previewKey: string | null;
  previewError: UiError | null;
  starting: boolean;
  startError: UiError | null;
  restoreJobId: string | null;
  verifyJobId: string | null;
  verifyError: UiError | null;
  openFile(filePath: string): Promise<void>;
  unlock(passphrase: string): Promise<void>;
  close(): void;
  importIntoCatalog(): Promise<void>;
  verify(): Promise<void>;
  previewRestore(request: RestoreRequest): Promise<void>;
  startRestore(request: RestoreRequest): Promise<void>;
  /** forget the preview (the target changed) */
  clearPreview(): void;
  dismissRestore(): void;
}

/** Identifies a target without its password: a preview is current only for the same key. */
export function targetKey(request: RestoreRequest): string {
  const { database, files } = request;
  const server = database ? { ...database.server, password: undefined } : undefined;
  return JSON.stringify({ database: database ? { ...database, server } : null, files: files ?? null });
}

const CLEAN = {
  backup: null,
  openError: null,
  unlocking: false,
  passphraseError: null,
  importing: false,
  importResult: null,
  importError: null,
  previewing: false,
  preview: null,
  previewKey: null,
  previewError: null,
  starting: false,
  startError: null,
  restoreJobId: null,
  verifyJobId: null,
  verifyError: null,
} satisfies Partial<RestoreState>;

/** Each open supersedes the one before: a slow reply of an older file must not show. */
let openSeq = 0;

export const useRestoreStore = create<RestoreState>()((set, get) => {
  /** How the calls name the open backup: by its file, with the passphrase when the user typed one. */
  const ref = () => {
    const backup = get().backup;
    if (!backup) throw new Error('No backup is open.');
    return { filePath: backup.filePath, ...(backup.passphrase ? { passphrase: backup.passphrase } : {}) };
  };

  return {
    requestedPath: null,
    opening: false,
    ...CLEAN,

    async openFile(filePath) {
      const seq = ++openSeq;
      set({ ...CLEAN, requestedPath: filePath, opening: true });
      try {
        const inspection = await call('backups/inspect', { filePath });
        if (seq !== openSeq) return;
        set({ opening: false, backup: { filePath: inspection.filePath, passphrase: null, inspection } });
      } catch (error) {
        if (seq === openSeq) set({ opening: false, openError: toUiError(error) });
      }
    },

    async unlock(passphrase) {
      const backup = get().backup;
      if (!backup) return;
      const seq = openSeq;
      set({ unlocking: true, passphraseError: null });
      try {
        const inspection = await call('backups/inspect', { filePath: backup.filePath, passphrase });
        if (seq !== openSeq) return;
        set({ unlocking: false, backup: { filePath: inspection.filePath, passphrase, inspection } });
      } catch (error) {
        if (seq === openSeq) set({ unlocking: false, passphraseError: toUiError(error) });
      }
    },

    close() {
      openSeq++;
      set({ ...CLEAN, requestedPath: null, opening: false });
    },

    async importIntoCatalog() {
      const seq = openSeq;
      set({ importing: true, importError: null });
      try {
        const result = await call('backups/import', ref());
        if (seq !== openSeq) return;
        const backup = get().backup;
        set({
          importing: false,
          importResult: result,
          backup: backup ? { ...backup, inspection: { ...backup.inspection, catalogJobId: result.jobId } } : backup,
        });
      } catch (error) {
        if (seq === openSeq) set({ importing: false, importError: toUiError(error) });
      }
    },

    async verify() {
      const seq = openSeq;
      set({ verifyError: null, verifyJobId: null });
      try {
        const { jobId } = await call('verify/run', ref());
        if (seq === openSeq) set({ verifyJobId: jobId });
      } catch (error) {
        if (seq === openSeq) set({ verifyError: toUiError(error) });
      }
    },

    async previewRestore(request) {
      const seq = openSeq;
      const key = targetKey(request);
      set({ previewing: true, previewError: null, preview: null, previewKey: null, startError: null });
      try {
        const preview = await call('restore/preview', { ...ref(), ...request });
        if (seq === openSeq) set({ previewing: false, preview, previewKey: key });
      } catch (error) {
        if (seq === openSeq) set({ previewing: false, previewError: toUiError(error) });
      }
    },

    async startRestore(request) {
      const seq = openSeq;
      set({ starting: true, startError: null });
      try {
        const { jobId } = await call('restore/start', { ...ref(), ...request });
        if (seq === openSeq) set({ starting: false, restoreJobId: jobId });
      } catch (error) {
        if (seq === openSeq) set({ starting: false, startError: toUiError(error) });
      }
    },

    clearPreview() {
      if (get().preview || get().previewError) set({ preview: null, previewKey: null, previewError: null });
    },

    dismissRestore() {
      set({ restoreJobId: null, preview: null, previewKey: null });
    },
  };
});
