/**
 * The streaming pass of a backup run, one source at a time: a database's pg_dump output, taken
 * in the snapshot its row counts were read in, and a folder's files (unchanged ones of an
 * incremental left in its base), each written as zip entries into the open archive. A failure of
 * one source is recorded on it and the run goes on; a failure of the destination ends the run.
 */
import path from 'node:path';
import type pg from 'pg';
import { AppError } from '../../../shared/errors';
import { FileQueue } from '../archive/file-queue';
import { hashFile } from '../archive/hash-stream';
import type { ArchiveWriter, AddedEntry } from '../archive/writer';
import { walkFolder } from '../folders/walk';
import { connectDatabase } from '../postgres/connection';
import { spawnPgDump } from '../postgres/dump';
import { openSnapshot, type DbSnapshot } from '../postgres/snapshot';
import { captureDatabaseFidelity } from '../postgres/database-state';
import { recordDatabaseExtras } from './database-extras';
import { safeName } from './file-names';
import { FolderIndexWriter } from './folder-index';
import { fileEntry, folderNode, HardLinks, NodeCounts, sameMtime, unchangedEntry } from './folder-record';
import type { ProgressMeter } from './progress';
import type { ReadyDatabase, ReadyFolder } from './run-preflight';
import type { BackupSpec, DatabaseInput, RunJob, RunRecord } from './run-state';

/** What every step of the streaming pass writes into and reports to. */
export interface PassContext {
  spec: BackupSpec;
  job: RunJob;
  env: NodeJS.ProcessEnv;
  writer: ArchiveWriter;
  meter: ProgressMeter;
  record: RunRecord;
}

/** A failure of the destination ends the whole run; a failure of one source does not. */
function isRunFatal(error: unknown): boolean {
  return error instanceof AppError && (error.code === 'DEST_NO_SPACE' || error.code === 'DEST_NOT_WRITABLE');
}

/**
 * Cancels what `client`'s server process is doing (a query waiting on a lock would otherwise
 * keep running after our side hangs up), from a second short-lived connection as the same user.
 */
async function cancelBackend(input: DatabaseInput, client: pg.Client): Promise<void> {
  const pid = (client as unknown as { processID?: number }).processID;
  if (!pid) return;
  try {
    const other = await connectDatabase(input.source, input.password, { connectTimeoutMs: 5000 });
    try {
      await other.query('SELECT pg_cancel_backend($1)', [pid]);
    } finally {
      await other.end().catch(() => undefined);
    }
  } catch {
    // best effort: the server ends the session once the wait is over and it sees we are gone
  }
}

/** Opens the database's snapshot (row counts inside it); a cancel stops a count waiting on a lock. */
async function openCancellableSnapshot(db: ReadyDatabase, signal: AbortSignal): Promise<DbSnapshot> {
  const client = await connectDatabase(db.input.source, db.input.password, { signal });
  const closeOnAbort = () => void cancelBackend(db.input, client).finally(() => client.end().catch(() => undefined));
  signal.addEventListener('abort', closeOnAbort, { once: true });
  let snapshot;
  try {
    snapshot = await openSnapshot(client);
  } finally {
    signal.removeEventListener('abort', closeOnAbort);
  }
  if (signal.aborted) {
    await snapshot.release();
    throw signal.reason;
  }
  return snapshot;
}

/** Streams pg_dump (in the snapshot) into a stored zip entry; returns the entry and pg_dump's stderr. */
async function dumpIntoArchive(pass: PassContext, db: ReadyDatabase, snapshotId: string, name: string): Promise<{ added: AddedEntry; stderrTail: string }> {
  const { signal } = pass.job;
  // pg_dump stops when the job is cancelled, and also when the archive fails under it (disk
  // full): nobody reads its output then, and it would block on the pipe for ever
  const stopDump = new AbortController();
  const onAbort = () => stopDump.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const dump = spawnPgDump({
    pgDumpPath: db.preflight.pgDumpPath,
    source: db.input.source,
    password: db.input.password,
    snapshotId,
    compressionLevel: pass.spec.compressionLevel,
    signal: stopDump.signal,
    env: pass.env,
  });
  try {
    const added = await pass.writer.addStream(name, dump.stdout, { store: true, onBytes: (n) => pass.meter.bytes(n) });
    const { stderrTail } = await dump.done;
    return { added, stderrTail };
  } catch (error) {
    stopDump.abort();
    await dump.done.catch(() => undefined);
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** Backs up one database: snapshot, row counts, pg_dump into the archive. */
export async function backupDatabase(pass: PassContext, db: ReadyDatabase): Promise<void> {
  const { signal } = pass.job;
  const { manifest, input } = db;
  pass.meter.phase('dump', manifest.label);
  try {
    const snapshot = await openCancellableSnapshot(db, signal);
    try {
      manifest.tables = snapshot.tables;
      pass.meter.addTotals(snapshot.tables.reduce((sum, t) => sum + t.bytes, 0), 0);
      const name = `databases/${safeName(input.source.id)}-${safeName(input.source.database)}.dump`;
      // database-level state, roles and privileges, read in the snapshot pg_dump dumps
      const fidelity = await captureDatabaseFidelity(input.source, input.password, snapshot.snapshotId, signal);
      const { added, stderrTail } = await dumpIntoArchive(pass, db, snapshot.snapshotId, name);
      if (stderrTail.trim()) pass.record.stderrTails.push(`${manifest.label}: ${stderrTail.trim()}`);
      manifest.entry = name;
      pass.record.entries.push({ name, kind: 'database-dump', sourceId: input.source.id, size: added.size, sha256: added.sha256 });
      const warnings = await recordDatabaseExtras({
        manifest, input, fidelity, pgDumpPath: db.preflight.pgDumpPath, dumpEntry: name, writer: pass.writer, entries: pass.record.entries, env: pass.env, signal,
      });
      for (const warning of warnings) pass.record.stderrTails.push(`${manifest.label}: warning: ${warning}`);
      pass.record.results.push({
        kind: 'database',
        label: manifest.label,
        status: 'success',
        bytes: added.size,
        files: 1,
        errorCode: null,
        message: [`${snapshot.tables.length} tables, ${snapshot.tables.reduce((s, t) => s + t.rows, 0)} rows`, ...warnings.map((w) => `Warning: ${w}`)].join('. '),
      });
    } finally {
      await snapshot.release();
    }
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (isRunFatal(error)) throw error;
    pass.record.fail(manifest, error);
    if (error instanceof AppError && error.detail) pass.record.stderrTails.push(`${manifest.label}: ${error.detail}`);
  }
}

/**
 * Backs up one folder: every file walked, unless an incremental's base already holds it
 * unchanged (same size and mtime: the file is not read; same size and another mtime: its
 * content hash decides); folders, links and special files are
 * recorded as nodes. Zip entries are named by number (`<entryPrefix><n>`), never by the file's
 * name: any name the file system holds is kept byte for byte in the folder's index (format 3),
 * which is written to a scratch file as the items go by and stored as one entry at the end, so
 * memory does not grow with the number of files. Files are read and compressed several at a
 * time (FileQueue) and written in walk order, and so is every index record.
 */
export async function backupFolder(pass: PassContext, folder: ReadyFolder): Promise<void> {
  const { signal } = pass.job;
  const { source, manifest } = folder;
  pass.meter.phase('files', manifest.root);
  const base = pass.spec.base?.index.get(source.id) ?? null;
  const skipped: string[] = [];
  const hardLinks = new HardLinks();
  const counts = new NodeCounts();
  let unchanged = 0;
  let unchangedBytes = 0;
  let entryNumber = 0;
  const index = await FolderIndexWriter.create(path.dirname(pass.writer.tempPath), pass.writer.codec);
  const queue = new FileQueue(pass.writer, { signal, onBytes: (n) => pass.meter.bytes(n) });
  // the walk lists folders on the thread that reads the small files
  const lister = queue.lister();
  try {
    for await (const item of walkFolder(manifest.root, source.excludes, { signal, lister, onSkip: (s) => skipped.push(`${s.relPath}: ${s.reason}`) })) {
      const first = hardLinks.firstOf(item);
      if (item.type !== 'file' || first) {
        const node = folderNode(item, first);
        counts.add(node.type);
        const wait = queue.after(() => index.add({ node }));
        if (wait) await wait;
        continue;
      }
      pass.meter.item(item.relPath);
      const known = base ? await base.lookup(item.raw) : null;
      // same size and mtime: unchanged, not read; same size, other mtime: unchanged if the content hash is
      if (known && known.size === item.size && (sameMtime(known, item) || (await hashFile(item.absPath, signal)) === known.sha256)) {
        unchanged++;
        unchangedBytes += item.size;
        hardLinks.recorded(item);
        pass.meter.file(item.size);
        const wait = queue.after(() => index.add({ unchanged: unchangedEntry(known, item) }));
        if (wait) await wait;
        continue;
      }
      const name = `${manifest.entryPrefix}${entryNumber++}`;
      const queued = { name, absPath: item.absPath, baseName: path.posix.basename(item.relPath), size: item.size, mode: item.mode, date: new Date(item.mtimeMs) };
      // a promise only when the queue is full: most files go in without an await
      const wait = queue.push(queued, (outcome) => {
        if (outcome.error) {
          // vanished or unreadable since the walk: skip it, say so, keep going
          skipped.push(`${item.relPath}: ${outcome.error.message}`);
          hardLinks.forget(item);
          return;
        }
        manifest.files++;
        manifest.bytes += outcome.stored.size;
        pass.meter.file(0);
        return index.add({ file: fileEntry(name, source.id, item, outcome.stored) });
      });
      if (wait) await wait;
      if (item.nlink > 1) {
        // later paths of the set become links to this one only once it is known to be stored
        hardLinks.recorded(item);
        await queue.drain();
      }
    }
    // the walk is over: its lister's thread goes now unless the pool reads files on it
    await lister.close();
    await queue.drain();
    const added = await index.writeInto(pass.writer, `${manifest.entryPrefix.replace(/\/$/, '')}.index`);
    manifest.index = { entry: added.name, records: index.records };
    manifest.tree = { files: manifest.files + unchanged, bytes: manifest.bytes + unchangedBytes };
    pass.record.entries.push({ name: added.name, kind: 'folder-index', sourceId: source.id, size: added.size, sha256: added.sha256 });
    pass.record.folderBytes += manifest.bytes;
    pass.record.results.push({
      kind: 'folder',
      label: manifest.label,
      status: 'success',
      bytes: manifest.bytes,
      files: manifest.files,
      errorCode: null,
      message:
        [
          unchanged ? `${unchanged} unchanged files kept in the base backup.` : '',
          counts.summary() ?? '',
          skipped.length ? `${skipped.length} skipped (${skipped.slice(0, 3).join('; ')})` : '',
        ]
          .filter(Boolean)
          .join(' ') || null,
    });
  } catch (error) {
    await queue.drain().catch(() => undefined);
    if (signal.aborted) throw signal.reason;
    if (isRunFatal(error)) throw error;
    pass.record.fail(manifest, error);
  } finally {
    await lister.close();
    await queue.close();
    await index.close();
  }
}
