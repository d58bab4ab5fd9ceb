import type { AlertEntry, AlertKind } from '../../../shared/notify';
import { formatShortDateTime } from '../lib/format';
import { hrefFor } from '../lib/route';

export const ALERT_LABELS: Record<AlertKind, string> = {
  'consecutive-failures': 'Failing repeatedly',
  'size-anomaly': 'Unusual size',
  'duration-anomaly': 'Unusually long',
  'low-disk': 'Low disk space',
  overdue: 'No recent backup',
  'storage-cap': 'Over storage cap',
  stalled: 'Job stalled',
  offsite: 'No off-site copy',
};

/** Alerts that need the admin to act; the others are worth a look. */
const SERIOUS: readonly AlertKind[] = ['consecutive-failures', 'low-disk', 'overdue', 'storage-cap', 'stalled', 'offsite'];

/** Alerts, newest first: what, about which plan, when, and the job it is about. */
export function AlertList({ alerts, planName, label }: { alerts: AlertEntry[]; planName(id: string | null): string | null; label: string }) {
  return (
    <ul className="alert-list" aria-label={label}>
      {alerts.map((alert) => {
        const plan = planName(alert.planId);
        return (
          <li key={alert.id} className="alert-item">
            <div className="alert-head">
              <span className={`badge ${SERIOUS.includes(alert.kind) ? 'badge-failed' : 'badge-partial'}`}>{ALERT_LABELS[alert.kind]}</span>
              {plan && <strong>{plan}</strong>}
              <time className="muted small" dateTime={alert.at}>
                {formatShortDateTime(alert.at)}
              </time>
            </div>
            <p>{alert.message}</p>
            {alert.jobId && (
              <a className="small" href={hrefFor('history', { job: alert.jobId })}>
                Open the job
              </a>
            )}
          </li>
        );
      })}
    </ul>
  );
}
