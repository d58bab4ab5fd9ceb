export function Pagination({
  page,
  pageSize,
  total,
  nouns,
  onPage,
}: {
  page: number;
  pageSize: number;
  total: number;
  /** what is counted, singular and plural: ['job', 'jobs'] */
  nouns: [string, string];
  onPage(page: number): void;
}) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const noun = total === 1 ? nouns[0] : nouns[1];
  return (
    <nav className="pagination" aria-label="Pagination">
      <span className="pagination-total">
        {total} {noun}
      </span>
      <button type="button" onClick={() => onPage(page - 1)} disabled={page <= 1}>
        Previous
      </button>
      <span className="pagination-page">
        Page {page} of {pages}
      </span>
      <button type="button" onClick={() => onPage(page + 1)} disabled={page >= pages}>
        Next
      </button>
    </nav>
  );
}
