/**
 * Whether a backup file is the one the caller expects, beyond "it reads": an encrypted file's
 * chunks are authenticated with a key only the passphrase holder has (AES-GCM), so it cannot be
 * forged without the passphrase; an unencrypted file's chunk checks catch damage but not a
 * deliberate, consistent edit. So an unencrypted file is refused where encryption is expected
 * (a passphrase was given, or the catalog knows the backup as encrypted), and a file the catalog
 * knows must have the SHA-256 the catalog recorded when it was written.
 */
import { AppError } from '../../../shared/errors';

/** What the caller knows the file must be. */
export interface ExpectedBackup {
  /** the whole-file SHA-256 the catalog recorded when the backup was written */
  sha256?: string | null;
  /** true when the file must be encrypted (a passphrase was given, or the catalog says so) */
  encrypted?: boolean;
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
