import type { BackupSummary } from '../../../shared/restore';
import { formatBytes } from '../lib/format';
import {
  canSelectPaths,
  databaseDraftFor,
  tableKey,
  type DatabaseDraft,
  type DraftErrors,
  type FilesDraft,
  type RestoreDraft,
} from '../lib/restore-draft';
import { CheckboxField, Field } from './Field';
import { PathInput } from './PathInput';
import { FolderTree } from './FolderTree';
import { Choice } from './Choice';
import { ServerFields } from './ServerFields';

const rowsFormat = new Intl.NumberFormat();

function DatabaseTargetFields({
  summary,
  draft,
  errors,
  onChange,
}: {
  summary: BackupSummary;
  draft: DatabaseDraft;
  errors: DraftErrors;
  onChange(next: DatabaseDraft): void;
}) {
  const set = (patch: Partial<DatabaseDraft>) => onChange({ ...draft, ...patch });
  const source = summary.databases.find((d) => d.sourceId === draft.sourceId) ?? summary.databases[0];
  const selected = new Set(draft.tables);
  const toggleTable = (key: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(key);
    else next.delete(key);
    set({ tables: [...next] });
  };
  return (
    <div className="target-section">
      {summary.databases.length > 1 && (
        <Field label="Database in the backup">
          {(p) => (
            <select
              {...p}
              value={draft.sourceId}
              onChange={(e) => onChange(databaseDraftFor(summary.databases.find((d) => d.sourceId === e.target.value), draft.server))}
            >
              {summary.databases.map((d) => (
                <option key={d.sourceId} value={d.sourceId}>
                  {d.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      <fieldset className="choice">
        <legend>Server to restore into</legend>
        <ServerFields value={draft.server} onChange={(server) => set({ server })} errors={errors.server} />
      </fieldset>
      <Choice
        legend="Into"
        value={draft.mode}
        onChange={(mode) => set({ mode })}
        options={[
          { value: 'new', label: 'A new database', hint: 'Nothing on the server is changed; the database is created.' },
          { value: 'existing', label: 'Over an existing database', hint: 'Its tables are replaced by the ones in the backup.' },
        ]}
      />
      {draft.mode === 'new' ? (
        <Field label="New database name" error={errors.databaseName}>
          {(p) => <input {...p} value={draft.newName} autoComplete="off" onChange={(e) => set({ newName: e.target.value })} />}
        </Field>
      ) : (
        <>
          <Field label="Existing database name" error={errors.databaseName}>
            {(p) => <input {...p} value={draft.existingName} autoComplete="off" onChange={(e) => set({ existingName: e.target.value })} />}
          </Field>
          <p className="banner banner-warn" role="note">
            Restoring over “{draft.existingName || 'the database'}” replaces its tables. A safety backup of it is taken first and kept in
            History, so this can be undone.
          </p>
        </>
      )}
      <Choice
        legend="Tables"
        value={draft.allTables ? 'all' : 'selected'}
        onChange={(v) => set({ allTables: v === 'all' })}
        options={[
          { value: 'all', label: `All ${source?.tables.length ?? 0} tables` },
          { value: 'selected', label: 'Selected tables' },
        ]}
      />
      {!draft.allTables && source && (
        <div className="table-pick">
          <table className="table table-compact" aria-label="Tables to restore">
            <thead>
              <tr>
                <th scope="col" className="cell-check">
                  <span className="visually-hidden">Restore</span>
                </th>
                <th scope="col">Table</th>
                <th scope="col" className="num">
                  Rows
                </th>
              </tr>
            </thead>
            <tbody>
              {source.tables.map((t) => {
                const key = tableKey(t);
                return (
                  <tr key={key}>
                    <td className="cell-check">
                      <input
                        type="checkbox"
                        aria-label={`Restore table ${t.schema}.${t.name}`}
                        checked={selected.has(key)}
                        onChange={(e) => toggleTable(key, e.target.checked)}
                      />
                    </td>
                    <td className="mono break">
                      {t.schema}.{t.name}
                    </td>
                    <td className="num">{rowsFormat.format(t.rows)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {errors.tables && <div className="field-error">{errors.tables}</div>}
        </div>
      )}
      <CheckboxField
        label="Compare row counts with the backup afterwards"
        checked={draft.checkRows}
        onChange={(checkRows) => set({ checkRows })}
        hint="Counts the rows of every restored table, which reads each table once more."
      />
      <fieldset className="choice">
        <legend>Roles, owners and privileges</legend>
        <CheckboxField
          label="Create the missing roles"
          checked={draft.createRoles}
          onChange={(createRoles) => set({ createRoles })}
          hint="Roles the backup uses that the server lacks are created from the backup's definitions, without passwords. Existing roles are not changed."
        />
        <CheckboxField
          label="Do not restore owners"
          checked={draft.noOwner}
          onChange={(noOwner) => set({ noOwner })}
          hint="Every object belongs to the user you restore as."
        />
        <CheckboxField
          label="Do not restore privileges"
          checked={draft.noPrivileges}
          onChange={(noPrivileges) => set({ noPrivileges })}
          hint="Leaves out the backup's GRANTs and REVOKEs, default privileges and per-role settings."
        />
      </fieldset>
    </div>
  );
}

function FilesTargetFields({
  summary,
  draft,
  errors,
  onChange,
}: {
  summary: BackupSummary;
  draft: FilesDraft;
  errors: DraftErrors;
  onChange(next: FilesDraft): void;
}) {
  const set = (patch: Partial<FilesDraft>) => onChange({ ...draft, ...patch });
  const chosen = summary.folders.filter((f) => !draft.sourceId || f.sourceId === draft.sourceId);
  const selectable = canSelectPaths(summary, draft);
  const folder = selectable ? (chosen[0] ?? null) : null;
  return (
    <div className="target-section">
      {summary.folders.length > 1 && (
        <Field label="Folder in the backup">
          {(p) => (
            <select {...p} value={draft.sourceId} onChange={(e) => set({ sourceId: e.target.value, paths: [], allPaths: true })}>
              <option value="">All {summary.folders.length} folders</option>
              {summary.folders.map((f) => (
                <option key={f.sourceId} value={f.sourceId}>
                  {f.root}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      <Choice
        legend="Restore into"
        value={draft.place}
        onChange={(place) => set({ place })}
        options={[
          {
            value: 'original',
            label: 'The original place',
            hint: <span className="mono break">{chosen.map((f) => f.root).join(', ')}</span>,
          },
          {
            value: 'folder',
            label: 'Another folder',
            hint: chosen.length > 1 ? 'Each folder of the backup goes into a subfolder named after it.' : undefined,
          },
        ]}
      />
      {draft.place === 'folder' && (
        <Field label="Folder to restore into" error={errors.folder} hint="Created when it does not exist.">
          {(p) => (
            <PathInput
              input={p}
              kind="folder"
              value={draft.folder}
              onChange={(folder) => set({ folder })}
              browseLabel="Browse for where to restore"
              dialogTitle="Choose a folder to restore into"
              placeholder="/home/me/restored"
            />
          )}
        </Field>
      )}
      <Choice
        legend="What"
        value={draft.allPaths || !selectable ? 'all' : 'selected'}
        onChange={(v) => set({ allPaths: v === 'all' })}
        options={[
          { value: 'all', label: 'The whole tree', hint: `${chosen.reduce((n, f) => n + f.totalFiles, 0)} files, ${formatBytes(chosen.reduce((n, f) => n + f.totalBytes, 0))}` },
          ...(selectable ? [{ value: 'selected' as const, label: 'Selected files and folders' }] : []),
        ]}
      />
      {!draft.allPaths && folder && (
        <div className="tree-scroll">
          <FolderTree
            folder={folder}
            label={`Choose files to restore from ${folder.root}`}
            selection={{ selected: new Set(draft.paths), onChange: (next) => set({ paths: [...next] }) }}
          />
          {errors.paths && <div className="field-error">{errors.paths}</div>}
        </div>
      )}
      <Choice
        legend="When a file is already there"
        value={draft.conflict}
        onChange={(conflict) => set({ conflict })}
        options={[
          { value: 'skip', label: 'Skip it', hint: 'What is there stays as it is.' },
          { value: 'overwrite', label: 'Overwrite it', hint: 'The file from the backup replaces it.' },
          { value: 'keep-both', label: 'Keep both', hint: 'The restored file is written next to it under a new name.' },
        ]}
      />
    </div>
  );
}

/** Where and what to restore: a database target, a files target, or both. */
export function RestoreTargetForm({
  summary,
  draft,
  errors,
  onChange,
}: {
  summary: BackupSummary;
  draft: RestoreDraft;
  errors: DraftErrors;
  onChange(next: RestoreDraft): void;
}) {
  const set = (patch: Partial<RestoreDraft>) => onChange({ ...draft, ...patch });
  const hasDatabases = summary.databases.length > 0;
  const hasFolders = summary.folders.length > 0;
  return (
    <div className="restore-target">
      {errors.what && <div className="field-error">{errors.what}</div>}
      {hasDatabases && (
        <section className="card target-card" aria-label="Database target">
          <label className="target-toggle">
            <input type="checkbox" checked={draft.restoreDatabase} onChange={(e) => set({ restoreDatabase: e.target.checked })} />
            <span>Restore the database</span>
          </label>
          {draft.restoreDatabase && (
            <DatabaseTargetFields summary={summary} draft={draft.database} errors={errors} onChange={(database) => set({ database })} />
          )}
        </section>
      )}
      {hasFolders && (
        <section className="card target-card" aria-label="Files target">
          <label className="target-toggle">
            <input type="checkbox" checked={draft.restoreFiles} onChange={(e) => set({ restoreFiles: e.target.checked })} />
            <span>Restore the files</span>
          </label>
          {draft.restoreFiles && <FilesTargetFields summary={summary} draft={draft.files} errors={errors} onChange={(files) => set({ files })} />}
        </section>
      )}
    </div>
  );
}
