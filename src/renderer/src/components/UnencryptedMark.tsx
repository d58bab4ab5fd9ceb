/** What an unencrypted backup does not prove, said wherever such a backup is shown. */
export const UNENCRYPTED_NOTE =
  'Not encrypted: its checksums find damage, but anyone who can write the file could have changed it consistently. Only the catalog’s SHA-256 (Verify) can tell.';

/** A "not encrypted" label for a backup written without a passphrase; nothing for others. */
export function UnencryptedMark({ encrypted }: { encrypted: boolean | null }) {
  if (encrypted !== false) return null;
  return (
    <span className="badge badge-partial nowrap" title={UNENCRYPTED_NOTE}>
      not encrypted
    </span>
  );
}
