/**
 * Whether a backup file is the one the caller expects, beyond "it reads": an encrypted file's
 * chunks are authenticated with a key only the passphrase holder has (AES-GCM), so it cannot be
 * forged without the passphrase; an unencrypted file's chunk checks catch damage but not a
 * deliberate, consistent edit. So an unencrypted file is refused where encryption is expected
 * (a passphrase was given, or the catalog knows the backup as encrypted), and a file the catalog
 * knows must be the backup the catalog recorded:
 * - encrypted, by the backupId in its header: every chunk's AAD binds the header's hash, so a
 *   header naming this backup on chunks sealed for another fails the first chunk read, and
 *   sealing chunks of one's own takes the passphrase. That needs no read of the whole file, so a
 *   restore of a few files reads only the chunks that hold them;
 * - unencrypted, by the whole-file SHA-256 the catalog recorded: anyone can write a header with
 *   the right backupId and chunks whose checks pass, so only that hash ties the file to the
 *   catalog, and it takes a read of the whole file.
 */
import { AppError } from '../../../shared/errors';

/** What the caller knows the file must be. */
export interface ExpectedBackup {
  /** the whole-file SHA-256 the catalog recorded when the backup was written */
  sha256?: string | null;
  /** true when the file must be encrypted (a passphrase was given, or the catalog says so) */
  encrypted?: boolean;
  /** the backup (catalog job) id the file's header must name: identifies an encrypted file without reading it whole */
  backupId?: string | null;
}

/** BACKUP_NOT_ENCRYPTED when the file is not encrypted but encryption is expected. */
export function assertEncryptionAsExpected(fileEncrypted: boolean, expected: ExpectedBackup | undefined, filePath: string): void {
  if (!fileEncrypted && expected?.encrypted) throw new AppError('BACKUP_NOT_ENCRYPTED', { detail: filePath });
}

/** CHECKSUM_MISMATCH when the catalog recorded another SHA-256 for this backup. */
export function assertSha256AsExpected(actual: string, expected: ExpectedBackup | undefined, filePath: string): void {
  if (expected?.sha256 && expected.sha256 !== actual) {
    throw new AppError('CHECKSUM_MISMATCH', { detail: `${filePath}: SHA-256 ${actual.slice(0, 16)}…, the catalog recorded ${expected.sha256.slice(0, 16)}…` });
  }
}

/**
 * CHECKSUM_MISMATCH when the file's header names another backup than the catalog's (the file is
 * not the one the catalog recorded). Proof only once a chunk of the file has authenticated: the
 * chunks bind the header (see the module comment).
 */
export function assertBackupIdAsExpected(headerBackupId: string, expected: ExpectedBackup | undefined, filePath: string): void {
  if (expected?.backupId && expected.backupId !== headerBackupId) {
    throw new AppError('CHECKSUM_MISMATCH', { detail: `${filePath} holds backup ${headerBackupId}, the catalog recorded ${expected.backupId}` });
  }
}

/**
 * Whether proving that the file is the one the catalog recorded takes its whole-file SHA-256 (a
 * read of the whole file): always for an unencrypted file (only the catalog's hash ties it to the
 * catalog), and for an encrypted one when the caller knows its hash but not its backup id.
 */
export function needsWholeFileSha256(fileEncrypted: boolean, expected: ExpectedBackup | undefined): boolean {
  return Boolean(expected?.sha256) && (!fileEncrypted || !expected?.backupId);
}
