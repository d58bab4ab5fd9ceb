import type { DatabasePreview, FileAction, FilesPreview, TableAction } from '../../../shared/restore';
import { useRef } from 'react';
import { formatBytes } from '../lib/format';
import { Trunc } from './Trunc';
import { SpacerRow, useVirtualRows } from './VirtualRows';

/** Items listed per preview; the counts above always cover all of them. */

const FILE_ACTION_LABEL: Record<FileAction, string> = {
  create: 'created',
  replace: 'replaced',
  same: 'already identical',
  'keep-both': 'kept both',
  skip: 'skipped',
};

/** Conflicts first: what changes or is refused next to something that is already there. */
const FILE_ACTION_ORDER: Record<FileAction, number> = { replace: 0, 'keep-both': 1, skip: 2, create: 3, same: 4 };

const fileBadge: Record<FileAction, string> = {
  create: 'badge-success',
  replace: 'badge-partial',
  'keep-both': 'badge-partial',
  skip: 'badge-neutral',
  same: 'badge-neutral',
};

const TABLE_ACTION_LABEL: Record<TableAction, string> = { create: 'created', replace: 'replaced', leave: 'left alone' };
const tableBadge: Record<TableAction, string> = { create: 'badge-success', replace: 'badge-partial', leave: 'badge-neutral' };

const isConflict = (action: FileAction) => action === 'replace' || action === 'keep-both' || action === 'skip';

export function DatabasePlanView({ plan }: { plan: DatabasePreview }) {
  const counts = { create: 0, replace: 0, leave: 0 } as Record<TableAction, number>;
  for (const t of plan.tables) counts[t.action]++;
  return (
    <section className="card plan-card-view" aria-label="Database restore preview">
      <header className="contents-head">
        <h3>
          <span className="kind-tag">database</span> {plan.targetDatabase}
        </h3>
        <span className={`badge ${plan.action === 'create' ? 'badge-success' : plan.action === 'conflict' ? 'badge-failed' : 'badge-partial'}`}>
          {plan.action === 'create' ? 'new database' : plan.action === 'conflict' ? 'already exists' : 'restored over'}
        </span>
      </header>
      {plan.message && <p className={plan.action === 'conflict' ? 'banner banner-error' : plan.safetyBackup ? 'banner banner-warn' : 'plan-message'}>{plan.message}</p>}
      {plan.roles && (
        <p className={plan.roles.refused ? 'banner banner-error' : plan.roles.missing.length ? 'banner banner-warn' : 'plan-message'} aria-label="Roles">
          {plan.roles.message}
        </p>
      )}
      {plan.databaseState && <p className="plan-message">{plan.databaseState}</p>}
      <p className="plan-counts">
        {(['create', 'replace', 'leave'] as const)
          .filter((a) => counts[a] > 0)
          .map((a) => (
            <span key={a} className={`badge ${tableBadge[a]}`}>
              {counts[a]} {TABLE_ACTION_LABEL[a]}
            </span>
          ))}
      </p>
      <div className="table-scroll">
        <table className="table table-compact" aria-label="Tables in the target">
          <thead>
            <tr>
              <th scope="col">Table</th>
              <th scope="col">What happens</th>
            </tr>
          </thead>
          <tbody>
            {plan.tables.map((t) => (
              <tr key={`${t.schema}.${t.name}`} className={t.action === 'replace' ? 'row-conflict' : undefined}>
                <td className="mono break">
                  {t.schema}.{t.name}
                </td>
                <td>
                  <span className={`badge ${tableBadge[t.action]}`}>{TABLE_ACTION_LABEL[t.action]}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function FilesPlanView({ plan }: { plan: FilesPreview }) {
  const items = [...plan.items].sort((a, b) => FILE_ACTION_ORDER[a.action] - FILE_ACTION_ORDER[b.action] || a.path.localeCompare(b.path));
  // every file, virtualized: only the rows in view are in the DOM
  const shown = items;
  const scrollRef = useRef<HTMLDivElement>(null);
  const rows = useVirtualRows(items.length, scrollRef, 40);
  const conflicts = plan.counts.replace + plan.counts['keep-both'] + plan.counts.skip;
  return (
    <section className="card plan-card-view" aria-label="Files restore preview">
      <header className="contents-head">
        <h3>
          <span className="kind-tag">files</span> <span className="mono break">{plan.folder ?? 'the original place'}</span>
        </h3>
        <span className="muted small">if a file is there: {plan.conflict === 'keep-both' ? 'keep both' : plan.conflict}</span>
      </header>
      <p className="plan-counts">
        {(['create', 'replace', 'keep-both', 'skip', 'same'] as const)
          .filter((a) => plan.counts[a] > 0)
          .map((a) => (
            <span key={a} className={`badge ${fileBadge[a]}`}>
              {plan.counts[a]} {FILE_ACTION_LABEL[a]}
            </span>
          ))}
        {plan.items.length === 0 && <span className="muted">Nothing to restore.</span>}
      </p>
      {conflicts > 0 && (
        <p className="banner banner-warn" role="note">
          {conflicts} {conflicts === 1 ? 'file is' : 'files are'} already there (highlighted below).
        </p>
      )}
      {shown.length > 0 && (
        <div className="table-wrap table-fit table-scroll" ref={scrollRef}>
          <table className="table table-compact table-fixed" aria-label="Files in the target">
            <thead>
              <tr>
                <th scope="col" className="col-file">File</th>
                <th scope="col" className="col-proven">What happens</th>
                <th scope="col" className="num col-num p2">
                  Size
                </th>
                <th scope="col" className="cell-message p3">Written to</th>
              </tr>
            </thead>
            <tbody>
              <SpacerRow height={rows.before} />
              {rows.items.map((row) => {
                const item = shown[row.index]!;
                return (
                  <tr key={`${item.sourceId}:${item.path}`} ref={rows.measure} data-index={row.index} className={isConflict(item.action) ? 'row-conflict' : undefined}>
                    <td className="col-file">
                      <Trunc text={item.path} className="mono" />
                    </td>
                    <td>
                      <span className={`badge ${fileBadge[item.action]}`}>{FILE_ACTION_LABEL[item.action]}</span>
                      {item.reason && <Trunc text={item.reason} className="muted small" />}
                    </td>
                    <td className="num nowrap p2">{formatBytes(item.size)}</td>
                    <td className="p3">{item.action === 'skip' || item.action === 'same' ? '—' : <Trunc text={item.target} className="mono small" />}</td>
                  </tr>
                );
              })}
              <SpacerRow height={rows.after} />
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
