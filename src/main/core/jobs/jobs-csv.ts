import type { JobSummary } from '../../../shared/job';

const CSV_COLUMNS: (keyof JobSummary)[] = [
  'id',
  'kind',
  'planName',
  'description',
  'status',
  'trigger',
  'startedAt',
  'finishedAt',
  'durationMs',
  'sizeBytes',
  'compressionRatio',
  'checksum',
  'filePath',
  'displayMessage',
  'provenAt',
  'encrypted',
];

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  // a leading =, +, - or @ would run as a formula in a spreadsheet
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Jobs as CSV (RFC 4180), one header row. */
export function jobsToCsv(jobs: JobSummary[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const job of jobs) lines.push(CSV_COLUMNS.map((c) => csvCell(job[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
