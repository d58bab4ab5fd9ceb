import type { CatalogDb } from './catalog';
import type {
  CancelledBy,
  JobDetail,
  JobKind,
  JobProgress,
  JobSort,
  JobSourceResult,
  JobStatus,
  JobSummary,
  JobTrigger,
} from '../../../shared/job';
import type { HookResult } from '../../../shared/hooks';
import type { Page } from '../../../shared/ipc-contract';
import type { BackupType } from '../../../shared/plan';
import type { ServerTarget } from '../../../shared/restore';

interface JobRow {
  id: string;
  kind: JobKind;
  plan_id: string | null;
  plan_name: string | null;
  status: JobStatus;
  trigger: JobTrigger;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  size_bytes: number | null;
  compression_ratio: number | null;
  checksum: string | null;
  file_path: string | null;
  temp_path: string | null;
  display_message: string | null;
  error_code: string | null;
  cancelled_by: CancelledBy | null;
  stderr_tail: string | null;
  progress: string | null;
  proven_at: string | null;
  encrypted: number | null;
  owner_pid: number | null;
  /** JSON array of the failed sources' labels */
  failed_sources?: string | null;
  description: string | null;
  hooks: string | null;
}

/**
 * A job row with, for backups, the newest restore drill that passed (what "proven restorable"
 * shows in History and on the Dashboard); verifications_backup indexes the lookup.
 */
const SELECT_JOBS = `SELECT jobs.*,
  (SELECT MAX(v.created_at) FROM verifications v WHERE v.backup_job_id = jobs.id AND v.drill = 1 AND v.status = 'passed') AS proven_at,
  (SELECT json_group_array(s.label) FROM job_sources s WHERE s.job_id = jobs.id AND s.status = 'failed') AS failed_sources
  FROM jobs`;

export interface NewJob {
  id: string;
  kind: JobKind;
  planId: string | null;
  planName: string | null;
  trigger: JobTrigger;
  startedAt: string;
  status?: JobStatus;
  backupType?: BackupType;
  /** the process running the job (default: this one) */
  ownerPid?: number;
  /** backups: the run's free-text description */
  description?: string | null;
}

/**
 * A database a job creates and drops again: a restore's new database until the restore has
 * succeeded, a drill's throwaway one. It is recorded before it is created and forgotten only once
 * it was dropped (or became the user's result), so that start-up recovery can drop what a crash
 * or a server lost mid-run left behind.
 */
export type TempDatabase = Omit<ServerTarget, 'password'> & { database: string };

/** A job that still has temp databases recorded. */
export interface JobTempDatabases {
  id: string;
  kind: JobKind;
  status: JobStatus;
  ownerPid: number | null;
  displayMessage: string | null;
  tempDatabases: TempDatabase[];
}

/** The same database: one name on one server. */
export function sameTempDatabase(a: TempDatabase, b: TempDatabase): boolean {
  return a.host === b.host && a.port === b.port && a.database === b.database;
}

export interface JobFinish {
  status: JobStatus;
  finishedAt: string;
  durationMs: number;
  bytesIn?: number | null;
  sizeBytes?: number | null;
  compressionRatio?: number | null;
  checksum?: string | null;
  filePath?: string | null;
  displayMessage?: string | null;
  errorCode?: string | null;
  cancelledBy?: CancelledBy | null;
  stderrTail?: string | null;
  backupType?: BackupType;
  baseJobId?: string | null;
  /** backups: whether the file was written encrypted */
  encrypted?: boolean | null;
}

export interface JobFilter {
  planId?: string;
  status?: JobStatus;
  /** any of these statuses */
  statuses?: readonly JobStatus[];
  kind?: JobKind;
  search?: string;
  from?: string;
  to?: string;
  /** only jobs whose file is still on disk */
  onDisk?: boolean;
  sort?: JobSort;
  sortDir?: 'asc' | 'desc';
}

/** ORDER BY for a sort column; unknown durations and sizes go last either way, ties newest first. */
function orderBy(filter: Pick<JobFilter, 'sort' | 'sortDir'>): string {
  const dir = filter.sortDir === 'asc' ? 'ASC' : 'DESC';
  if (filter.sort === 'duration') return `duration_ms IS NULL, duration_ms ${dir}, started_at DESC, rowid DESC`;
  if (filter.sort === 'size') return `size_bytes IS NULL, size_bytes ${dir}, started_at DESC, rowid DESC`;
  return `started_at ${dir}, rowid ${dir}`;
}

/** Longest stderr tail kept per job: enough to see why a tool failed, never a whole log. */
export const STDERR_TAIL_LIMIT = 4000;

function toSummary(row: JobRow): JobSummary {
  return {
    id: row.id,
    kind: row.kind,
    planId: row.plan_id,
    planName: row.plan_name,
    status: row.status,
    trigger: row.trigger,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMs: row.duration_ms,
    sizeBytes: row.size_bytes,
    compressionRatio: row.compression_ratio,
    checksum: row.checksum,
    filePath: row.file_path,
    displayMessage: row.display_message,
    errorCode: row.error_code,
    cancelledBy: row.cancelled_by,
    progress: row.progress ? (JSON.parse(row.progress) as JobProgress) : null,
    provenAt: row.proven_at ?? null,
    encrypted: row.encrypted === null || row.encrypted === undefined ? null : row.encrypted === 1,
    ownerPid: row.owner_pid ?? null,
    ...failedSourcesOf(row),
    description: row.description ?? null,
  };
}

/** A partial job's failed sources (only partial jobs carry the field, so other summaries keep their shape). */
function failedSourcesOf(row: JobRow): { failedSources?: string[] } {
  if (row.status !== 'partial' || !row.failed_sources) return {};
  return { failedSources: JSON.parse(row.failed_sources) as string[] };
}

function whereClause(filter: JobFilter): { sql: string; params: Record<string, unknown> } {
  const parts: string[] = [];
  const params: Record<string, unknown> = {};
  if (filter.planId) {
    parts.push('plan_id = @planId');
    params.planId = filter.planId;
  }
  if (filter.status) {
    parts.push('status = @status');
    params.status = filter.status;
  }
  if (filter.statuses?.length) {
    const names = filter.statuses.map((status, i) => {
      params[`status${i}`] = status;
      return `@status${i}`;
    });
    parts.push(`status IN (${names.join(', ')})`);
  }
  if (filter.kind) {
    parts.push('kind = @kind');
    params.kind = filter.kind;
  }
  if (filter.from) {
    parts.push('started_at >= @from');
    params.from = filter.from;
  }
  if (filter.to) {
    parts.push('started_at <= @to');
    params.to = filter.to;
  }
  if (filter.onDisk) parts.push('file_path IS NOT NULL');
  if (filter.search) {
    parts.push(
      "(plan_name LIKE @search ESCAPE '\\' OR display_message LIKE @search ESCAPE '\\' OR file_path LIKE @search ESCAPE '\\' OR id LIKE @search ESCAPE '\\' OR description LIKE @search ESCAPE '\\')",
    );
    params.search = `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/** Jobs and their per-source results in the catalog. */
export class JobsRepo {
  constructor(private readonly db: CatalogDb) {}

  create(job: NewJob): JobSummary {
    this.db
      .prepare(
        `INSERT INTO jobs (id, kind, plan_id, plan_name, status, trigger, started_at, backup_type, owner_pid, description)
         VALUES (@id, @kind, @planId, @planName, @status, @trigger, @startedAt, @backupType, @ownerPid, @description)`,
      )
      .run({
        ...job,
        status: job.status ?? 'pending',
        backupType: job.backupType ?? null,
        ownerPid: job.ownerPid ?? process.pid,
        description: job.description || null,
      });
    return this.get(job.id)!;
  }

  get(id: string): JobSummary | undefined {
    const row = this.db.prepare(`${SELECT_JOBS} WHERE id = ?`).get(id) as JobRow | undefined;
    return row ? toSummary(row) : undefined;
  }

  detail(id: string): JobDetail | undefined {
    const row = this.db.prepare(`${SELECT_JOBS} WHERE id = ?`).get(id) as JobRow | undefined;
    if (!row) return undefined;
    const sources = this.db
      .prepare(
        'SELECT kind, label, status, bytes, files, error_code AS errorCode, message FROM job_sources WHERE job_id = ? ORDER BY id',
      )
      .all(id) as JobSourceResult[];
    return { ...toSummary(row), sources, stderrTail: row.stderr_tail, hooks: row.hooks ? (JSON.parse(row.hooks) as HookResult[]) : [] };
  }

  list(filter: JobFilter, page: number, pageSize: number): Page<JobSummary> {
    const { sql, params } = whereClause(filter);
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM jobs ${sql}`).get(params) as { n: number }).n;
    const rows = this.db
      .prepare(`${SELECT_JOBS} ${sql} ORDER BY ${orderBy(filter)} LIMIT @limit OFFSET @offset`)
      .all({ ...params, limit: pageSize, offset: (page - 1) * pageSize }) as JobRow[];
    return { items: rows.map(toSummary), total, page, pageSize };
  }

  /** Every job matching the filter, newest first (for CSV export). */
  all(filter: JobFilter): JobSummary[] {
    const { sql, params } = whereClause(filter);
    return (this.db.prepare(`${SELECT_JOBS} ${sql} ORDER BY started_at DESC, rowid DESC`).all(params) as JobRow[]).map(
      toSummary,
    );
  }

  markRunning(id: string, tempPath: string | null): void {
    this.db.prepare("UPDATE jobs SET status = 'running', temp_path = ? WHERE id = ?").run(tempPath, id);
  }

  setTempPath(id: string, tempPath: string | null): void {
    this.db.prepare('UPDATE jobs SET temp_path = ? WHERE id = ?').run(tempPath, id);
  }

  /** Adds `db` to the job's temp databases (call it before the database is created). */
  recordTempDatabase(id: string, db: TempDatabase): void {
    this.changeTempDatabases(id, (list) => [...list.filter((d) => !sameTempDatabase(d, db)), db]);
  }

  /** Removes `db` from the job's temp databases: it was dropped, or it is the user's result now. */
  forgetTempDatabase(id: string, db: TempDatabase): void {
    this.changeTempDatabases(id, (list) => list.filter((d) => !sameTempDatabase(d, db)));
  }

  tempDatabasesOf(id: string): TempDatabase[] {
    const row = this.db.prepare('SELECT temp_databases AS t FROM jobs WHERE id = ?').get(id) as { t: string | null } | undefined;
    return row?.t ? (JSON.parse(row.t) as TempDatabase[]) : [];
  }

  /** Jobs, in any status, that still have temp databases recorded (what start-up recovery drops). */
  withTempDatabases(): JobTempDatabases[] {
    const rows = this.db
      .prepare(
        `SELECT id, kind, status, owner_pid AS ownerPid, display_message AS displayMessage, temp_databases AS t
           FROM jobs WHERE temp_databases IS NOT NULL ORDER BY started_at`,
      )
      .all() as (Omit<JobTempDatabases, 'tempDatabases'> & { t: string })[];
    return rows.map(({ t, ...row }) => ({ ...row, tempDatabases: JSON.parse(t) as TempDatabase[] }));
  }

  /** Appends what a pre- or post-backup hook did to the job's record. */
  recordHook(id: string, result: HookResult): void {
    this.db.transaction(() => {
      const row = this.db.prepare('SELECT hooks FROM jobs WHERE id = ?').get(id) as { hooks: string | null } | undefined;
      const hooks = row?.hooks ? (JSON.parse(row.hooks) as HookResult[]) : [];
      this.db.prepare('UPDATE jobs SET hooks = ? WHERE id = ?').run(JSON.stringify([...hooks, result]), id);
    })();
  }

  /** Sets the description of a job (an imported backup's, from its manifest). */
  setDescription(id: string, description: string | null): void {
    this.db.prepare('UPDATE jobs SET description = ? WHERE id = ?').run(description || null, id);
  }

  setDisplayMessage(id: string, message: string | null): JobSummary | undefined {
    this.db.prepare('UPDATE jobs SET display_message = ? WHERE id = ?').run(message, id);
    return this.get(id);
  }

  private changeTempDatabases(id: string, change: (list: TempDatabase[]) => TempDatabase[]): void {
    this.db.transaction(() => {
      const next = change(this.tempDatabasesOf(id));
      this.db.prepare('UPDATE jobs SET temp_databases = ? WHERE id = ?').run(next.length ? JSON.stringify(next) : null, id);
    })();
  }

  saveProgress(id: string, progress: JobProgress): void {
    this.db.prepare('UPDATE jobs SET progress = ? WHERE id = ?').run(JSON.stringify(progress), id);
  }

  finish(id: string, result: JobFinish): JobSummary {
    this.db
      .prepare(
        `UPDATE jobs SET status = @status, finished_at = @finishedAt, duration_ms = @durationMs, bytes_in = @bytesIn,
           size_bytes = @sizeBytes, compression_ratio = @compressionRatio, checksum = @checksum, file_path = @filePath,
           display_message = @displayMessage, error_code = @errorCode, cancelled_by = @cancelledBy,
           stderr_tail = @stderrTail, temp_path = NULL,
           backup_type = COALESCE(@backupType, backup_type), base_job_id = COALESCE(@baseJobId, base_job_id),
           encrypted = COALESCE(@encrypted, encrypted)
         WHERE id = @id`,
      )
      .run({
        id,
        bytesIn: null,
        sizeBytes: null,
        compressionRatio: null,
        checksum: null,
        filePath: null,
        displayMessage: null,
        errorCode: null,
        cancelledBy: null,
        backupType: null,
        baseJobId: null,
        ...result,
        encrypted: result.encrypted === undefined || result.encrypted === null ? null : result.encrypted ? 1 : 0,
        stderrTail: result.stderrTail ? result.stderrTail.slice(-STDERR_TAIL_LIMIT) : null,
      });
    return this.get(id)!;
  }

  addSourceResult(jobId: string, source: JobSourceResult): void {
    this.db
      .prepare(
        `INSERT INTO job_sources (job_id, kind, label, status, bytes, files, error_code, message)
         VALUES (@jobId, @kind, @label, @status, @bytes, @files, @errorCode, @message)`,
      )
      .run({ jobId, ...source });
  }

  /** Jobs left running or pending by a crash or power loss; their temp files need removing. */
  unfinished(): { id: string; tempPath: string | null; ownerPid: number | null }[] {
    return this.db
      .prepare("SELECT id, temp_path AS tempPath, owner_pid AS ownerPid FROM jobs WHERE status IN ('running', 'pending')")
      .all() as { id: string; tempPath: string | null; ownerPid: number | null }[];
  }

  /** Successful backups of a plan, newest first. */
  backupsOfPlan(planId: string): JobSummary[] {
    return (
      this.db
        .prepare(
          `${SELECT_JOBS} WHERE plan_id = ? AND kind = 'backup' AND status IN ('success', 'partial') AND file_path IS NOT NULL ORDER BY started_at DESC`,
        )
        .all(planId) as JobRow[]
    ).map(toSummary);
  }

  /** The backup an incremental/differential builds on. */
  baseOf(id: string): string | null {
    return (this.db.prepare('SELECT base_job_id AS b FROM jobs WHERE id = ?').get(id) as { b: string | null } | undefined)?.b ?? null;
  }

  backupTypeOf(id: string): BackupType | null {
    return (this.db.prepare('SELECT backup_type AS t FROM jobs WHERE id = ?').get(id) as { t: BackupType | null } | undefined)?.t ?? null;
  }

  /** Marks a backup whose file retention removed. */
  markPruned(id: string, message: string): void {
    this.db.prepare('UPDATE jobs SET file_path = NULL, display_message = ? WHERE id = ?').run(message, id);
  }

  /** Jobs that started or finished at or after `from` (every job for null), oldest first: what `lifeboat logs` shows. */
  touchedSince(from: string | null): JobSummary[] {
    const rows = from
      ? this.db.prepare(`${SELECT_JOBS} WHERE started_at >= @from OR finished_at >= @from ORDER BY started_at, rowid`).all({ from })
      : this.db.prepare(`${SELECT_JOBS} ORDER BY started_at, rowid`).all();
    return (rows as JobRow[]).map(toSummary);
  }
}
