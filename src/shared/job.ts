/** Job model shared by core, shell and renderer: pure types and constants. */
import type { HookResult } from './hooks';

export const JOB_KINDS = ['backup', 'verify', 'restore', 'drill'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const JOB_STATUSES = [
  'pending',
  'running',
  'success',
  'failed',
  'partial',
  'cancelled',
  'interrupted',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Statuses after which a job never changes again. */
export const FINAL_STATUSES: readonly JobStatus[] = ['success', 'failed', 'partial', 'cancelled', 'interrupted'];

/** The columns a list of jobs sorts by: when it started, how long it took, how large its file is. */
export const JOB_SORTS = ['started', 'duration', 'size'] as const;
export type JobSort = (typeof JOB_SORTS)[number];

export const JOB_TRIGGERS = ['manual', 'scheduled', 'catch-up'] as const;
export type JobTrigger = (typeof JOB_TRIGGERS)[number];

/** Who cancelled: the user (button, CLI) or the system (quit, shutdown). */
export type CancelledBy = 'user' | 'system';

/** `copies`: uploading the finished file to the plan's other destinations (and retrying earlier failed copies) */
export const BACKUP_PHASES = ['preflight', 'dump', 'files', 'finalize', 'verify', 'drill', 'copies', 'retention'] as const;
export type JobPhase = (typeof BACKUP_PHASES)[number] | 'restore' | 'queued';

export interface JobProgress {
  phase: JobPhase;
  /** 0..100 over the whole job, phases weighted. */
  percent: number;
  bytesDone: number;
  bytesTotal: number | null;
  filesDone: number;
  filesTotal: number | null;
  currentItem: string | null;
  /** bytes per second over the last interval */
  rate: number;
  etaSeconds: number | null;
}

/** A job's progress before its first report: queued, nothing done, nothing known. */
export const EMPTY_PROGRESS: JobProgress = {
  phase: 'queued',
  percent: 0,
  bytesDone: 0,
  bytesTotal: null,
  filesDone: 0,
  filesTotal: null,
  currentItem: null,
  rate: 0,
  etaSeconds: null,
};

export type SourceKind = 'database' | 'folder';

export interface JobSourceResult {
  kind: SourceKind;
  label: string;
  status: 'success' | 'failed' | 'skipped';
  bytes: number;
  files: number;
  errorCode: string | null;
  message: string | null;
}

export interface JobSummary {
  id: string;
  kind: JobKind;
  planId: string | null;
  planName: string | null;
  status: JobStatus;
  trigger: JobTrigger;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  sizeBytes: number | null;
  /** bytes read from the sources / bytes written */
  compressionRatio: number | null;
  checksum: string | null;
  filePath: string | null;
  displayMessage: string | null;
  errorCode: string | null;
  cancelledBy: CancelledBy | null;
  progress: JobProgress | null;
  /** backups: when a restore drill last proved this backup restorable (null: never) */
  provenAt: string | null;
  /** backups: whether the file was written encrypted (null: no file, or not known) */
  encrypted: boolean | null;
  /** the process that runs (or ran) the job: another one's (the service, a CLI) is polled, not pushed */
  ownerPid?: number | null;
  /** partial backups: the labels of the sources that failed (the backup holds the others) */
  failedSources?: string[];
  /** backups: the free-text description of the run (its own, else its plan's); null: none */
  description?: string | null;
  /** a running job that has made no progress for the stall threshold (jobs/stall-watch.ts); absent: not stalled */
  stall?: JobStall | null;
}

/** What a job that has made no progress for a while is waiting on, where the server can tell. */
export interface JobStall {
  /** when the job last made progress (the stall started) */
  since: string;
  /** "a lock on table public.orders, held by process 4242 (psql, idle in transaction)"; null: not known */
  waitingOn: string | null;
}

export interface JobDetail extends JobSummary {
  sources: JobSourceResult[];
  stderrTail: string | null;
  /** backups: what the plan's pre- and post-backup hooks did, in order (absent or empty: none ran) */
  hooks?: HookResult[];
}
