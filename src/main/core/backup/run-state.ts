/**
 * What one backup run carries from step to step: the spec, the job, the archive being written,
 * and what each source contributed to the manifest and the job's results.
 */
import { toTransferable } from '../../../shared/errors';
import type { JobSourceResult } from '../../../shared/job';
import type { ManifestDatabaseSource, ManifestEntry, ManifestFolderSource } from '../../../shared/manifest';
import type { BackupManifest } from '../../../shared/manifest';
import type { BackupType, DatabaseSource, FolderSource } from '../../../shared/plan';
import type { BlockCodec } from '../archive/codecs';
import type { KdfSetting } from '../crypto/keys';
import type { BaseIndex, FolderTree } from './base-index';
import type { JobContext, JobOutcome } from '../jobs/job-runner';

export interface DatabaseInput {
  source: DatabaseSource;
  password: string | null;
}

/** What a base backup tells an incremental about each folder file (by folder source id). */
export type { BaseIndex, FolderTree };

export interface BackupSpec {
  backupId: string;
  plan: { id: string; name: string } | null;
  /** the run's free-text description, recorded in the manifest (null or absent: none) */
  description?: string | null;
  type: BackupType;
  /** set for incremental/differential runs that found their base */
  base: { backupId: string; index: BaseIndex; trees?: Map<string, FolderTree>; close?: () => Promise<void> } | null;
  destination: string;
  /** file name without folder; `.lifeboat` is added */
  fileStem: string;
  compressionLevel: number;
  passphrase: string | null;
  databases: DatabaseInput[];
  folders: FolderSource[];
  appVersion: string;
  /** transient failures (server unreachable) are retried this often with exponential back-off */
  retries: { count: number; backoffSeconds: number };
  env?: NodeJS.ProcessEnv;
  /**
   * Folders searched for pg_dump after PATH (when LIFEBOAT_PG_BIN is not set); defaults to the
   * platform's usual install folders. Tests pass [] (with an env whose PATH has no pg_dump) to
   * prove a missing tool.
   */
  pgToolDirs?: readonly string[];
  /** tests: smaller container chunks, cheaper KDF */
  containerOptions?: { chunkSize?: number; kdf?: KdfSetting; codec?: BlockCodec | null };
}

export interface BackupResult extends JobOutcome {
  manifest: BackupManifest | null;
}

/** The manifest's sources, entries and the job's per-source results, filled in as the run goes. */
export class RunRecord {
  readonly sources: (ManifestDatabaseSource | ManifestFolderSource)[] = [];
  readonly results: JobSourceResult[] = [];
  /** the manifest.json entries: database dumps and roles, folder indexes (folder files are in those) */
  readonly entries: ManifestEntry[] = [];
  /** bytes of the folder files stored (their entries are in the folder indexes) */
  folderBytes = 0;
  readonly stderrTails: string[] = [];

  succeeded(): number {
    return this.sources.filter((s) => s.status === 'success').length;
  }

  /** Marks a source failed, in the manifest and in the job's results. */
  fail(manifest: ManifestDatabaseSource | ManifestFolderSource, error: unknown): void {
    const t = toTransferable(error);
    manifest.status = 'failed';
    manifest.error = { code: t.code, message: t.message };
    this.results.push({ kind: manifest.kind, label: manifest.label, status: 'failed', bytes: 0, files: 0, errorCode: t.code, message: t.message });
  }

  /** The run's result when no source could be backed up: the first source's reason is the job's. */
  failed(fallback: string): BackupResult {
    const first = this.sources.find((s) => s.error)?.error;
    return {
      status: 'failed',
      errorCode: first?.code ?? 'INTERNAL',
      displayMessage: first?.message ?? fallback,
      sources: this.results,
      stderrTail: this.stderrTails.join('\n') || null,
      manifest: null,
    };
  }
}

/** Where a step of the run reports and stops: the job's signal and progress. */
export type RunJob = Pick<JobContext, 'signal' | 'progress' | 'setTempPath' | 'jobId'>;
