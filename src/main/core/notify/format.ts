/**
 * The human-readable side of notifications: titles, sizes and durations, and the plain text that
 * Slack, Telegram and e-mail show. Pure.
 */
import { editorFieldWords } from '../../../shared/error-field';
import { ERROR_MESSAGES, isErrorCode } from '../../../shared/errors';
import type { JobKind, JobSummary } from '../../../shared/job';
import type { NotificationPayload } from '../../../shared/notify';

// one size and duration formatter for the screens, the engine's messages and notifications
export { formatBytes, formatDuration } from '../../../shared/format';
import { formatBytes, formatDateTime, formatDuration } from '../../../shared/format';

const KIND_NOUNS: Record<JobKind, string> = {
  backup: 'Backup',
  verify: 'Verification',
  restore: 'Restore',
  drill: 'Restore drill',
};

const STATUS_WORDS: Partial<Record<JobSummary['status'], string>> = {
  success: 'finished',
  failed: 'failed',
  partial: 'partly failed',
  interrupted: 'was interrupted',
  cancelled: 'was cancelled',
};

/** "Backup failed: Nightly database" */
export function jobTitle(job: JobSummary): string {
  const what = `${KIND_NOUNS[job.kind]} ${STATUS_WORDS[job.status] ?? job.status}`;
  return job.planName ? `${what}: ${job.planName}` : what;
}

/** The body of a job notification: the job's own message, then what and how much. */
export function jobMessage(job: JobSummary): string {
  const parts: string[] = [];
  if (job.displayMessage) parts.push(job.displayMessage);
  else parts.push(job.status === 'success' ? 'Finished without errors.' : 'See the job in Lifeboat for details.');
  const facts: string[] = [];
  if (job.sizeBytes !== null && job.status !== 'failed') facts.push(formatBytes(job.sizeBytes));
  if (job.durationMs !== null) facts.push(`in ${formatDuration(job.durationMs)}`);
  if (facts.length) parts.push(`(${facts.join(' ')})`);
  return parts.join(' ');
}

/**
 * The fix an error code's message names: its sentences after the first, which says what went
 * wrong ("Cannot reach the server. Check that it is running..." -> "Check that it is running...").
 */
export function fixOf(code: string | null): string | null {
  if (!code || !isErrorCode(code)) return null;
  const message: string = ERROR_MESSAGES[code];
  const cut = message.search(/\.\s+[A-Z(]/);
  return cut > 0 ? message.slice(cut + 1).trim() : message;
}

/**
 * What to do about a job that did not succeed, in lines a person reads in an e-mail or a chat:
 * the fix, the plan field to correct (`field`, from editorFieldForError), where to open the job
 * by its id, and how to run it again. Empty for a success.
 */
export function failureSteps(job: Pick<JobSummary, 'id' | 'kind' | 'status' | 'planId' | 'planName' | 'errorCode'>, field: string | null = null): string[] {
  if (job.status === 'success' || job.status === 'cancelled') return [];
  const steps: string[] = [];
  const fix = fixOf(job.errorCode);
  if (fix) steps.push(fix);
  if (field && job.planId) {
    steps.push(`Correct ${editorFieldWords(field)} in the plan: the job's Edit plan button in Lifeboat opens the plan editor on it.`);
  }
  steps.push(`Open the job in Lifeboat (History, job ${job.id}) for its details and tool output.`);
  if (job.kind === 'backup' && job.planId) {
    const plan = job.planName ?? job.planId;
    steps.push(`Run it again with Retry in the job's panel, or from a terminal: lifeboat run ${JSON.stringify(plan)}`);
  }
  return steps;
}

/** The plain text of a payload for Slack, Telegram and e-mail: title, message, then the facts. */
export function payloadText(payload: NotificationPayload): { subject: string; text: string } {
  const lines = [payload.title, '', payload.message, ''];
  if (payload.whatToDo?.length) lines.push('What to do:', ...payload.whatToDo.map((step) => `- ${step}`), '');
  if (payload.plan) lines.push(`Plan: ${payload.plan.name}`);
  if (payload.job) {
    const job = payload.job;
    lines.push(`Job: ${job.id} (${job.kind}, ${job.status}, ${job.trigger})`);
    lines.push(`Started: ${formatDateTime(job.startedAt)}`);
    if (job.durationMs !== null) lines.push(`Duration: ${formatDuration(job.durationMs)}`);
    if (job.sizeBytes !== null) lines.push(`Size: ${formatBytes(job.sizeBytes)}`);
    if (job.errorCode) lines.push(`Error code: ${job.errorCode}`);
    if (job.filePath) lines.push(`File: ${job.filePath}`);
  }
  if (payload.alert) lines.push(`Alert: ${payload.alert.kind}`);
  lines.push(`Sent by Lifeboat ${payload.source.version} on ${payload.source.host} at ${payload.at}`);
  return { subject: `[Lifeboat] ${payload.title}`, text: lines.join('\n') };
}
