/**
 * Where updates come from, and what a check found, in words. Pure (no Electron), so that the
 * rules are unit-tested: a build without a real feed never checks and says so instead of failing.
 *
 * The feed is electron-builder's `publish` setting, which it writes into `app-update.yml` next to
 * the app's resources; `LIFEBOAT_UPDATE_URL` (a generic-provider URL) overrides it at run time.
 */
import type { UpdateCheckResult, UpdateOutcome } from '../../shared/ipc-contract';

export type UpdateFeed =
  | { configured: true; provider: string; url: string | null; source: 'build' | 'environment' }
  | { configured: false; reason: string };

/** What the Settings screen and the Help menu say when this build has no feed. */
export const NOT_CONFIGURED_MESSAGE = 'Updates are not configured for this build.';

/** The catalog settings key of the automatic check (on unless the user turned it off). */
export const AUTO_CHECK_KEY = 'updates.autoCheck';

/** The top-level `key: value` pairs of app-update.yml (flat YAML that electron-builder writes). */
function readFlatYaml(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^([A-Za-z][\w-]*):\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    values.set(match[1]!, match[2]!.replace(/^(['"])(.*)\1$/, '$2'));
  }
  return values;
}

/**
 * A URL that cannot be a real feed: not http(s), a reserved example or `.invalid` host (the
 * placeholder in electron-builder.yml), or a macro electron-builder left unexpanded.
 */
export function isPlaceholderUrl(url: string): boolean {
  if (url.includes('${')) return true;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return true;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return true;
  const host = parsed.hostname.toLowerCase();
  return host.endsWith('.invalid') || host === 'invalid' || /(^|\.)example\.(com|org|net)$/.test(host) || host.endsWith('.example');
}

/**
 * Decides the feed from the build's app-update.yml (`null`: the file is absent, as in a build
 * made with `publish: null`) and the environment. An unpackaged app (`npm start`) has none.
 */
export function resolveUpdateFeed(input: {
  isPackaged: boolean;
  appUpdateYml: string | null;
  env: Record<string, string | undefined>;
}): UpdateFeed {
  const override = input.env.LIFEBOAT_UPDATE_URL?.trim();
  if (input.env.LIFEBOAT_DISABLE_UPDATES === '1') return { configured: false, reason: 'Updates are turned off for this installation (LIFEBOAT_DISABLE_UPDATES).' };
  if (!input.isPackaged) return { configured: false, reason: 'Updates are checked only by an installed build, not by a development run.' };
  if (override) {
    if (isPlaceholderUrl(override)) return { configured: false, reason: `LIFEBOAT_UPDATE_URL is not a usable https address: ${override}` };
    return { configured: true, provider: 'generic', url: override, source: 'environment' };
  }
  if (input.appUpdateYml === null) return { configured: false, reason: NOT_CONFIGURED_MESSAGE };
  const yml = readFlatYaml(input.appUpdateYml);
  const provider = yml.get('provider');
  if (!provider) return { configured: false, reason: NOT_CONFIGURED_MESSAGE };
  if (provider === 'generic') {
    const url = yml.get('url');
    if (!url || isPlaceholderUrl(url)) return { configured: false, reason: NOT_CONFIGURED_MESSAGE };
    return { configured: true, provider, url, source: 'build' };
  }
  // github, s3, spaces, keygen...: electron-builder checked their settings when it built
  return { configured: true, provider, url: null, source: 'build' };
}

/** What electron-updater reported for one check. */
export type UpdateCheckEvent =
  | { kind: 'not-configured'; reason: string }
  | { kind: 'up-to-date' }
  | { kind: 'available'; version: string }
  | { kind: 'downloaded'; version: string }
  | { kind: 'failed'; error: unknown };

/** The first line of an error: electron-updater's errors carry whole HTTP responses. */
function shortError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const first = text.split('\n')[0]!.trim();
  return first.length > 200 ? `${first.slice(0, 199)}…` : first || 'unknown error';
}

/** A check's result as the Settings screen and the Help menu's dialog show it. */
export function describeUpdateCheck(event: UpdateCheckEvent, currentVersion: string, at: Date): UpdateCheckResult {
  const result = (outcome: UpdateOutcome, message: string, version: string | null = null): UpdateCheckResult => ({
    outcome,
    message,
    version,
    checkedAt: at.toISOString(),
  });
  switch (event.kind) {
    case 'not-configured':
      return result('not-configured', event.reason);
    case 'up-to-date':
      return result('up-to-date', `Lifeboat ${currentVersion} is the latest version.`);
    case 'available':
      return result('available', `Lifeboat ${event.version} is available; it is being downloaded and will be installed when you quit.`, event.version);
    case 'downloaded':
      return result('downloaded', `Lifeboat ${event.version} has been downloaded; it will be installed when you quit Lifeboat.`, event.version);
    case 'failed':
      return result('failed', `Could not check for updates: ${shortError(event.error)}. Backups are not affected; try again later.`);
  }
}
