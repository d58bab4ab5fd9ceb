import { AppError } from '../../../shared/errors';

/**
 * What a cancelled restore throws: CANCELLED, whatever the signal was aborted with (the job
 * runner aborts with AppError('CANCELLED'); a caller's own AbortController may not).
 */
export function cancelledError(signal: AbortSignal): AppError {
  const reason: unknown = signal.reason;
  return reason instanceof AppError && reason.code === 'CANCELLED' ? reason : new AppError('CANCELLED', { cause: reason });
}
