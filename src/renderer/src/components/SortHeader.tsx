import type { JobSort } from '../../../shared/job';

export interface SortState {
  sort: JobSort;
  dir: 'asc' | 'desc';
}

export const DEFAULT_SORT: SortState = { sort: 'started', dir: 'desc' };

/** A column header that sorts by its column; a second click turns the order round. */
export function SortHeader({ label, column, state, onSort, className }: { label: string; column: JobSort; state: SortState; onSort(next: SortState): void; className?: string }) {
  const active = state.sort === column;
  return (
    <th scope="col" className={className} aria-sort={active ? (state.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button
        type="button"
        className="sort-button"
        onClick={() => onSort({ sort: column, dir: active && state.dir === 'desc' ? 'asc' : 'desc' })}
      >
        {label}
        <span className="sort-mark" aria-hidden="true">
          {active ? (state.dir === 'asc' ? '▲' : '▼') : '↕'}
        </span>
      </button>
    </th>
  );
}
