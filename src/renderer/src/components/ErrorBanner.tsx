import type { UiError } from '../lib/errors';

/** A server or client error: the code helps a bug report, the message names the fix. */
export function ErrorBanner({ error, onDismiss }: { error: UiError | null; onDismiss?: () => void }) {
  if (!error) return null;
  return (
    <div className="banner banner-error" role="alert">
      <div>
        {error.code && <strong className="banner-code">{error.code}</strong>}
        <span>{error.message}</span>
      </div>
      {onDismiss && (
        <button type="button" className="button-ghost" onClick={onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  );
}
