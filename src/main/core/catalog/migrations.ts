/**
 * Versioned catalog migrations. Each entry runs once, in order, inside a transaction; the
 * version reached is kept in SQLite's `user_version`. Append only: never edit a released step.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: plans, jobs, per-source results, verifications, restores, audit log
  `
  CREATE TABLE plans (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    definition TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    plan_id TEXT,
    plan_name TEXT,
    status TEXT NOT NULL,
    trigger TEXT NOT NULL DEFAULT 'manual',
    started_at TEXT NOT NULL,
    finished_at TEXT,
    duration_ms INTEGER,
    bytes_in INTEGER,
    size_bytes INTEGER,
    compression_ratio REAL,
    checksum TEXT,
    file_path TEXT,
    temp_path TEXT,
    backup_type TEXT,
    base_job_id TEXT,
    display_message TEXT,
    error_code TEXT,
    cancelled_by TEXT,
    stderr_tail TEXT,
    progress TEXT
  );
  CREATE INDEX jobs_plan_started ON jobs(plan_id, started_at DESC);
  CREATE INDEX jobs_started ON jobs(started_at DESC);
  CREATE INDEX jobs_status ON jobs(status);
  CREATE TABLE job_sources (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    status TEXT NOT NULL,
    bytes INTEGER NOT NULL DEFAULT 0,
    files INTEGER NOT NULL DEFAULT 0,
    error_code TEXT,
    message TEXT
  );
  CREATE INDEX job_sources_job ON job_sources(job_id);
  CREATE TABLE verifications (
    id TEXT PRIMARY KEY,
    job_id TEXT REFERENCES jobs(id) ON DELETE SET NULL,
    backup_job_id TEXT REFERENCES jobs(id) ON DELETE CASCADE,
    file_path TEXT NOT NULL,
    status TEXT NOT NULL,
    drill INTEGER NOT NULL DEFAULT 0,
    reasons TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL
  );
  CREATE INDEX verifications_backup ON verifications(backup_job_id, created_at DESC);
  CREATE TABLE restores (
    id TEXT PRIMARY KEY,
    job_id TEXT REFERENCES jobs(id) ON DELETE SET NULL,
    backup_path TEXT NOT NULL,
    target TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    details TEXT
  );
  CREATE INDEX audit_at ON audit_log(at DESC);
  `,
  // 2: settings, scheduler state, notification channels, alerts, imported backups, restore details
  `
  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE schedule_state (
    plan_id TEXT PRIMARY KEY REFERENCES plans(id) ON DELETE CASCADE,
    last_slot_at TEXT,
    next_run_at TEXT
  );
  CREATE TABLE notification_channels (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    on_success INTEGER NOT NULL DEFAULT 0,
    config TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    plan_id TEXT,
    job_id TEXT,
    kind TEXT NOT NULL,
    message TEXT NOT NULL
  );
  CREATE INDEX alerts_at ON alerts(at DESC);
  ALTER TABLE jobs ADD COLUMN imported_at TEXT;
  ALTER TABLE restores ADD COLUMN details TEXT;
  `,
  // 3: which process runs a job, so that a second process (the CLI next to the app) never takes
  // another live process's running job for one a crash left behind
  `
  ALTER TABLE jobs ADD COLUMN owner_pid INTEGER;
  `,
  // 4: the databases a job creates and drops again (a restore's new database until it succeeded,
  // a drill's throwaway ones), as a JSON array, recorded before each is created: start-up
  // recovery drops what a crash or a lost server left behind
  `
  ALTER TABLE jobs ADD COLUMN temp_databases TEXT;
  `,
  // 5: one run of a plan at a time across processes (the app and CLIs on one data dir): the
  // holder's job, pid and host, and a heartbeat that tells a live holder from a dead one
  `
  CREATE TABLE plan_leases (
    plan_id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL
  );
  `,
  // 6: whether a backup file was written encrypted (null: not known, jobs from before): an
  // unencrypted file in its place is refused, and History labels unencrypted backups
  `
  ALTER TABLE jobs ADD COLUMN encrypted INTEGER;
  `,
  // 7: one scheduler at a time per catalog (the app and the `lifeboat daemon` service share a data
  // dir): the holder (one row), its pid, host and role, a token that tells it from an earlier
  // holder of the same pid, its heartbeat, and whether it is paused (the others show it)
  `
  CREATE TABLE scheduler_lease (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    holder_id TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    role TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    paused INTEGER NOT NULL DEFAULT 0
  );
  `,
  // 8: a cancel asked for by another process (the app cancelling the service's job): when it was
  // asked (null: never); the process running the job polls for it and cancels it as a user cancel
  `
  ALTER TABLE jobs ADD COLUMN cancel_requested TEXT;
  `,
  // 9: "Next run: full" — a plan's next run starts a new chain with a full backup (asked for in
  // the app or with lifeboat run --full); the row goes once a full backup of the plan succeeded
  `
  CREATE TABLE plan_full_requests (
    plan_id TEXT PRIMARY KEY,
    requested_at TEXT NOT NULL,
    requested_by TEXT NOT NULL
  );
  `,
  // 10: a backup's free-text description (the run's, else its plan's: History shows and searches
  // it, the CSV export has it), and what the plan's pre- and post-backup hooks did (JSON array:
  // command, exit code, timeout, output tail)
  `
  ALTER TABLE jobs ADD COLUMN description TEXT;
  ALTER TABLE jobs ADD COLUMN hooks TEXT;
  `,
  // 11: the copies of each backup at a plan's other destinations (3-2-1): where (the destination's
  // id, kind and URL, the object's key and full URL, never a secret), what became of it
  // (uploaded | verified | failed | deleted), its size and SHA-256 as checked, when it was uploaded
  // and checked, the last failure (secret-free) and how many uploads or deletes were tried
  `
  CREATE TABLE backup_copies (
    backup_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    destination_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    destination_url TEXT NOT NULL,
    key TEXT NOT NULL,
    url TEXT NOT NULL,
    status TEXT NOT NULL,
    size_bytes INTEGER,
    sha256 TEXT,
    uploaded_at TEXT,
    verified_at TEXT,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (backup_id, destination_id)
  );
  CREATE INDEX backup_copies_status ON backup_copies(status);
  `,
];
