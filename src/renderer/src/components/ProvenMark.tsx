import { formatDateTime, formatShortDateTime } from '../lib/format';

/**
 * When a restore drill last proved a backup (or a plan's backups) restorable: ✓ and the date,
 * else `none` in muted text.
 */
export function ProvenMark({ at, none = 'not drilled' }: { at: string | null; none?: string }) {
  if (!at) return <span className="muted">{none}</span>;
  return (
    <span className="ok-text nowrap" title={`A restore drill proved it restorable on ${formatDateTime(at)}`}>
      ✓ {formatShortDateTime(at)}
    </span>
  );
}
