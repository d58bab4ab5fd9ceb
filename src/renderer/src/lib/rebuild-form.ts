/**
 * Rebuild catalog's model (the Restore screen): the backups are read from a folder, or from an
 * off-site destination (S3-compatible storage, Azure Blob Storage, an SFTP server) described by a
 * DestinationDraft as the plan editor's copies are. `rebuildRequest` turns the form into the
 * backups/rebuild-catalog request, or says which fields to fix. The destination's secret and the
 * passphrase go in that one request and are never saved. Pure, so it is tested on its own.
 */
import type { DestinationConfig, DestinationKind } from '../../../shared/destination';
import { newDestinationDraft, validateDestinationDraft, type DestinationDraft, type DestinationErrors } from './destination-form';

export type RebuildFrom = 'folder' | 'destination';

/** The kinds a catalog is rebuilt from as a destination (a folder has its own choice). */
export const REBUILD_KINDS: DestinationKind[] = ['s3', 'azure', 'sftp'];

export interface RebuildForm {
  from: RebuildFrom;
  folder: string;
  draft: DestinationDraft;
  passphrase: string;
}

export type RebuildRequest =
  | { folder: string; passphrase?: string }
  | { destination: DestinationConfig; secret?: string; passphrase?: string };

export function newRebuildForm(): RebuildForm {
  return { from: 'folder', folder: '', draft: newDestinationDraft('s3'), passphrase: '' };
}

/**
 * The draft with another kind: the fields typed so far stay (a prefix or an endpoint means the
 * same to S3 and Azure), but a secret or an accepted host key belongs to the server it was for.
 */
export function withKind(draft: DestinationDraft, kind: DestinationKind): DestinationDraft {
  if (draft.kind === kind) return draft;
  return { ...draft, kind, secret: '', hostKey: '' };
}

/** The request the form describes, or the fields to fix (keyed as DestinationErrors; `folder` for the folder). */
export function rebuildRequest(form: RebuildForm): { ok: true; request: RebuildRequest } | { ok: false; errors: DestinationErrors } {
  const passphrase = form.passphrase ? { passphrase: form.passphrase } : {};
  if (form.from === 'folder') {
    const folder = form.folder.trim();
    if (!folder) return { ok: false, errors: { folder: 'Enter the folder that holds the .lifeboat files' } };
    return { ok: true, request: { folder, ...passphrase } };
  }
  const validation = validateDestinationDraft(form.draft);
  if (!validation.ok) return { ok: false, errors: validation.errors };
  return { ok: true, request: { destination: validation.config, ...(form.draft.secret ? { secret: form.draft.secret } : {}), ...passphrase } };
}

/** At most this many backups are named per list of the result; the rest are counted. */
export const RESULT_LIST_LIMIT = 20;

/** The first `limit` items and how many more there are. */
export function firstOf<T>(items: T[], limit = RESULT_LIST_LIMIT): { shown: T[]; more: number } {
  return { shown: items.slice(0, limit), more: Math.max(0, items.length - limit) };
}
