import { useEffect, useState } from 'react';
import type { PlanOffsiteStatus } from '../../../shared/destination';
import type { Plan } from '../../../shared/plan';
import { call } from '../lib/api';
import { offsiteLine, type OffsiteLine } from '../lib/destination-form';
import { toUiError, type UiError } from '../lib/errors';
import { formatRelativeTime } from '../lib/format';
import { hrefFor } from '../lib/route';
import { ErrorBanner } from './ErrorBanner';
import { Trunc } from './Trunc';

const TONE_BADGE: Record<OffsiteLine['tone'], { className: string; text: (s: PlanOffsiteStatus) => string }> = {
  ok: { className: 'badge-success', text: () => 'verified' },
  info: { className: 'badge-pending', text: (s) => (s.state === 'uploaded' ? 'uploaded' : 'pending') },
  warn: { className: 'badge-partial', text: () => 'unprotected' },
  error: { className: 'badge-failed', text: () => 'failed' },
  muted: { className: 'badge-neutral', text: (s) => (s.state === 'no-backup' ? 'no backup' : 'not set up') },
};

const TONE_TEXT: Record<OffsiteLine['tone'], string> = { ok: 'ok-text', info: '', warn: 'warn-text', error: 'error-text', muted: 'muted' };

/**
 * The Dashboard's off-site line per plan (plans/offsite-status): whether the newest backup has
 * a verified copy off the machine and where, or for how long the plan has gone without one (a
 * warning past its schedule's period), or that the plan has no off-site copy set up.
 */
export function OffsiteStatus({ plans, refreshKey }: { plans: Plan[]; refreshKey: number }) {
  const [statuses, setStatuses] = useState<PlanOffsiteStatus[] | null>(null);
  const [error, setError] = useState<UiError | null>(null);

  // a plan saved with other copies changes its status too
  const planKeys = plans.map((p) => `${p.id}@${p.updatedAt}`).join(',');
  useEffect(() => {
    let current = true;
    call('plans/offsite-status')
      .then((s) => current && (setStatuses(s), setError(null)))
      .catch((e: unknown) => current && setError(toUiError(e)));
    return () => {
      current = false;
    };
  }, [planKeys, refreshKey]);

  if (plans.length === 0) return null;
  const now = new Date();
  const byPlan = new Map((statuses ?? []).map((s) => [s.planId, s]));
  return (
    <section className="section" aria-labelledby="offsite-title">
      <h2 id="offsite-title">Off-site copies</h2>
      <ErrorBanner error={error} />
      {!statuses && !error && <p className="muted">…</p>}
      {statuses && (
        <ul className="card offsite-list" aria-label="Off-site copies per plan">
          {plans.map((plan) => {
            const status = byPlan.get(plan.id);
            if (!status) return null;
            const line = offsiteLine(status, plan, now, (iso, at) => formatRelativeTime(iso, at));
            const badge = TONE_BADGE[line.tone];
            return (
              <li key={plan.id} className={`offsite-item offsite-${line.tone}`} aria-label={plan.name}>
                <span className="offsite-plan">
                  <Trunc text={plan.name} />
                </span>
                <span className={`badge ${badge.className}`}>{badge.text(status)}</span>
                <span className={`offsite-line ${TONE_TEXT[line.tone]}`}>
                  <span className="offsite-text">{line.text}</span>
                  {line.detail && <span className="offsite-detail small">{line.detail}</span>}
                </span>
                <span className="offsite-action">
                  {status.state === 'not-configured' ? (
                    <a href={hrefFor('plans', { edit: plan.id })} aria-label={`Add a copy to ${plan.name}`}>
                      Add a copy
                    </a>
                  ) : status.newestBackupId ? (
                    <a href={hrefFor('history', { job: status.newestBackupId })} aria-label={`Copies of ${plan.name}: its newest backup`}>
                      Copies
                    </a>
                  ) : null}
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
