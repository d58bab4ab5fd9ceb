import type { BackupSummary, PreviewDatabase, PreviewFolder } from '../../../shared/restore';
import { formatBytes } from '../lib/format';
import { FolderTree } from './FolderTree';

const rowsFormat = new Intl.NumberFormat();

export function DatabaseContents({ database }: { database: PreviewDatabase }) {
  const totalRows = database.tables.reduce((sum, t) => sum + t.rows, 0);
  return (
    <section className="card contents-card" aria-label={`Database ${database.label}`}>
      <header className="contents-head">
        <h3>
          <span className="kind-tag">database</span> {database.label}
        </h3>
        <span className="muted small">
          {database.tables.length} {database.tables.length === 1 ? 'table' : 'tables'} · {rowsFormat.format(totalRows)} rows · dump{' '}
          {formatBytes(database.dumpBytes)}
          {database.serverVersion ? ` · PostgreSQL ${database.serverVersion}` : ''}
        </span>
      </header>
      {database.status === 'failed' ? (
        <p className="error-text">This database failed when the backup was made: {database.error ?? 'unknown error'}</p>
      ) : database.tables.length === 0 ? (
        <p className="muted">The database held no tables.</p>
      ) : (
        <div className="table-scroll">
          <table className="table table-compact" aria-label={`Tables of ${database.label}`}>
            <thead>
              <tr>
                <th scope="col">Table</th>
                <th scope="col" className="num">
                  Rows
                </th>
                <th scope="col" className="num">
                  Size
                </th>
              </tr>
            </thead>
            <tbody>
              {database.tables.map((t) => (
                <tr key={`${t.schema}.${t.name}`}>
                  <td className="mono break">
                    <span className="muted">{t.schema}.</span>
                    {t.name}
                  </td>
                  <td className="num">{rowsFormat.format(t.rows)}</td>
                  <td className="num nowrap">{formatBytes(t.bytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function FolderContents({ folder }: { folder: PreviewFolder }) {
  return (
    <section className="card contents-card" aria-label={`Folder ${folder.root}`}>
      <header className="contents-head">
        <h3>
          <span className="kind-tag">folder</span> <span className="mono break">{folder.root}</span>
        </h3>
        <span className="muted small">
          {folder.totalFiles} {folder.totalFiles === 1 ? 'file' : 'files'} · {formatBytes(folder.totalBytes)}
        </span>
      </header>
      {folder.status === 'failed' && <p className="error-text">This folder failed when the backup was made: {folder.error ?? 'unknown error'}</p>}
      {folder.needsBackups.length > 0 && (
        <p className="muted small">
          Some unchanged files are kept in {folder.needsBackups.length === 1 ? 'an earlier backup' : `${folder.needsBackups.length} earlier backups`}; they
          are read from there (in the catalog or next to this file) when restoring.
        </p>
      )}
      <div className="tree-scroll">
        <FolderTree folder={folder} label={`Files in ${folder.root}`} />
      </div>
    </section>
  );
}

/** What a backup holds: its databases with tables, rows and sizes, and its folders as trees. */
export function BackupPreview({ summary }: { summary: BackupSummary }) {
  if (summary.databases.length === 0 && summary.folders.length === 0) {
    return <p className="muted">This backup holds no databases and no folders.</p>;
  }
  return (
    <div className="contents-grid">
      {summary.databases.map((db) => (
        <DatabaseContents key={db.sourceId} database={db} />
      ))}
      {summary.folders.map((folder) => (
        <FolderContents key={folder.sourceId} folder={folder} />
      ))}
    </div>
  );
}
