/**
 * Rebuilding the catalog from a remote destination (the app's Rebuild catalog with a destination
 * instead of a folder): every `.lifeboat` object below the destination's root, at any depth (a
 * plan's copies lie in `<plan slug>/` below it), imported as importBackupFile imports a file, with
 * the destination's URL as its location. The destination's secret is used for this request
 * only: while it runs, URLs below that root are read through an opener of its own, chained in
 * front of the process's opener and removed after.
 */
import { destinationUrl, type DestinationConfig } from '../../../shared/destination';
import { AppError, toTransferable } from '../../../shared/errors';
import type { RebuildCatalogResult } from '../../../shared/restore';
import { openDestination } from '../destinations/open';
import { currentRemoteOpener, makeDestinationOpener, setRemoteOpener, type RemoteOpener } from '../destinations/remote-open';
import { parseBackupUrl, parseDestinationUrl } from '../destinations/url';
import { importBackupFile, type ImportContext } from './import-backup';

/** Below `root` (a destination URL): the root itself or a folder/object under it. */
function below(root: string, url: string): boolean {
  return url === root || url.startsWith(`${root}/`);
}

/**
 * Imports every backup below a remote destination's root; one that cannot be read is reported in
 * `failed` and the rest go on. Throws the destination's own error (DEST_UNREACHABLE,
 * DEST_AUTH_FAILED, DEST_MISSING, HOST_KEY_*) when it cannot be listed at all.
 */
export async function rebuildCatalogFromDestination(
  ctx: ImportContext,
  destination: DestinationConfig,
  secret: string | null,
  passphrase: string | null,
): Promise<RebuildCatalogResult> {
  if (destination.kind === 'local') throw new AppError('VALIDATION', { detail: 'a local folder is rebuilt from by its folder, not as a destination' });
  const root = destinationUrl(destination);
  const dest = await openDestination(destination, { secret });
  const previous = currentRemoteOpener();
  // URLs below the root, read with this destination's settings (its folder or prefix from the URL)
  const own = makeDestinationOpener((parsed) => {
    const located = { ...destination, ...locationOf(parsed) } as DestinationConfig;
    return openDestination(located, { secret });
  });
  const refuse = (url: string): never => {
    throw new AppError('VALIDATION', { detail: `${url} is not below ${root}` });
  };
  const opener: RemoteOpener = {
    open: (url, known) => (below(root, destinationUrl(parseBackupUrl(url).config)) ? own.open(url, known) : (previous ?? refuse(url)).open(url, known)),
    list: (url) => (below(root, destinationUrl(parseDestinationUrl(url).config)) ? own.list(url) : (previous ?? refuse(url)).list(url)),
  };
  setRemoteOpener(opener);
  const result: RebuildCatalogResult = { folder: root, imported: [], alreadyKnown: [], failed: [] };
  try {
    const objects = (await dest.list()).filter((o) => o.key.endsWith('.lifeboat'));
    for (const object of objects) {
      const url = dest.urlOf(object.key);
      try {
        const imported = await importBackupFile(ctx, url, passphrase);
        (imported.imported ? result.imported : result.alreadyKnown).push(imported);
      } catch (error) {
        const { code, message } = toTransferable(error);
        result.failed.push({ filePath: url, code, message: secret ? message.split(secret).join('***') : message });
      }
    }
  } finally {
    if (currentRemoteOpener() === opener) setRemoteOpener(previous);
    await own.close();
    await dest.close().catch(() => undefined);
  }
  return result;
}

/** The location fields of a parsed URL's config (bucket/prefix, container/prefix, host/path). */
function locationOf(parsed: DestinationConfig): Partial<DestinationConfig> {
  switch (parsed.kind) {
    case 's3':
      return { bucket: parsed.bucket, prefix: parsed.prefix };
    case 'azure':
      return { account: parsed.account, container: parsed.container, prefix: parsed.prefix };
    case 'sftp':
      return { path: parsed.path };
    case 'local':
      return { path: parsed.path };
  }
}
