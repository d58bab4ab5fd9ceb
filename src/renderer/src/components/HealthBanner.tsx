import type { HealthAction, HealthState } from '../../../shared/health';
import { hrefFor } from '../lib/route';
import { useSchedulerStore } from '../stores/scheduler-store';

function ActionLink({ action }: { action: HealthAction }) {
  const setPaused = useSchedulerStore((s) => s.setPaused);
  switch (action.kind) {
    case 'open-job':
      return <a href={hrefFor('history', { job: action.jobId })}>Open job</a>;
    case 'edit-plan':
      return <a href={hrefFor('plans', { edit: action.planId })}>Edit plan</a>;
    case 'pick-preset':
      return <a href={hrefFor('plans')}>Pick a preset</a>;
    case 'open-verify':
      return <a href={hrefFor('verify')}>Open Verify</a>;
    case 'resume':
      return (
        <button type="button" className="link-button" onClick={() => void setPaused(false)}>
          Resume schedules
        </button>
      );
  }
}

/**
 * The worst condition first, in words, with what to do about it; the others below it. Red for a
 * failure, amber for what needs a look, a quiet green line when all is well.
 */
export function HealthBanner({ health }: { health: HealthState | null }) {
  if (!health) return <div className="health health-loading" aria-hidden="true" />;
  if (health.level === 'ok') {
    return (
      <div className="health health-ok" role="status" aria-label="Backup health">
        <span className="health-dot" aria-hidden="true" />
        <strong>{health.headline}</strong>
      </div>
    );
  }
  const [first, ...rest] = health.issues;
  return (
    <section className={`health health-${health.level}`} role={health.level === 'error' ? 'alert' : 'status'} aria-label="Backup health">
      <div className="health-line">
        <span className="health-dot" aria-hidden="true" />
        <strong className="health-headline">{first!.text}</strong>
        {first!.actions.length > 0 && (
          <span className="health-actions">
            {first!.actions.map((action, i) => (
              <ActionLink key={i} action={action} />
            ))}
          </span>
        )}
      </div>
      {rest.length > 0 && (
        <ul className="health-more">
          {rest.map((issue, i) => (
            <li key={i} className={`health-item health-item-${issue.level}`}>
              <span>{issue.text}</span>
              {issue.actions.map((action, j) => (
                <ActionLink key={j} action={action} />
              ))}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
