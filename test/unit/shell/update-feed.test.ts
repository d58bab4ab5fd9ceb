import { describe, expect, it } from 'vitest';
import { describeUpdateCheck, isPlaceholderUrl, NOT_CONFIGURED_MESSAGE, resolveUpdateFeed } from '../../../src/main/shell/update-feed';

const yml = (url: string) => `provider: generic\nurl: ${url}\nchannel: latest\nupdaterCacheDirName: lifeboat-updater\n`;
const at = new Date('2025-03-01T10:00:00.000Z');

describe('the update feed', () => {
  it('is not configured for the placeholder of electron-builder.yml, a missing file, or an unexpanded macro', () => {
    for (const appUpdateYml of [yml('https://updates-not-configured.invalid/lifeboat'), null, yml('${env.LIFEBOAT_UPDATE_URL}'), 'channel: latest\n']) {
      expect(resolveUpdateFeed({ isPackaged: true, appUpdateYml, env: {} })).toEqual({ configured: false, reason: NOT_CONFIGURED_MESSAGE });
    }
  });

  it('uses a real generic feed, and trusts other providers electron-builder already checked', () => {
    expect(resolveUpdateFeed({ isPackaged: true, appUpdateYml: yml("'https://downloads.acme.test/lifeboat'"), env: {} })).toEqual({
      configured: true,
      provider: 'generic',
      url: 'https://downloads.acme.test/lifeboat',
      source: 'build',
    });
    const github = 'owner: acme\nrepo: lifeboat\nprovider: github\n';
    expect(resolveUpdateFeed({ isPackaged: true, appUpdateYml: github, env: {} })).toMatchObject({ configured: true, provider: 'github' });
  });

  it('lets LIFEBOAT_UPDATE_URL override the build, and LIFEBOAT_DISABLE_UPDATES turn it off', () => {
    const env = { LIFEBOAT_UPDATE_URL: 'https://mirror.acme.test/lifeboat' };
    expect(resolveUpdateFeed({ isPackaged: true, appUpdateYml: null, env })).toMatchObject({ configured: true, source: 'environment', url: env.LIFEBOAT_UPDATE_URL });
    expect(resolveUpdateFeed({ isPackaged: true, appUpdateYml: null, env: { LIFEBOAT_UPDATE_URL: 'ftp://x' } }).configured).toBe(false);
    const off = resolveUpdateFeed({ isPackaged: true, appUpdateYml: yml('https://downloads.acme.test/l'), env: { ...env, LIFEBOAT_DISABLE_UPDATES: '1' } });
    expect(off.configured).toBe(false);
  });

  it('never checks from a development run', () => {
    const feed = resolveUpdateFeed({ isPackaged: false, appUpdateYml: yml('https://downloads.acme.test/l'), env: {} });
    expect(feed.configured).toBe(false);
    expect(!feed.configured && feed.reason).toMatch(/installed build/);
  });

  it('tells placeholders from real addresses', () => {
    expect(isPlaceholderUrl('https://updates.example.com/x')).toBe(true);
    expect(isPlaceholderUrl('not a url')).toBe(true);
    expect(isPlaceholderUrl('https://releases.lifeboat.dev/stable')).toBe(false);
  });
});

describe('what a check says', () => {
  it('words each outcome for the user', () => {
    expect(describeUpdateCheck({ kind: 'not-configured', reason: NOT_CONFIGURED_MESSAGE }, '0.1.0', at)).toEqual({
      outcome: 'not-configured',
      message: 'Updates are not configured for this build.',
      version: null,
      checkedAt: '2025-03-01T10:00:00.000Z',
    });
    expect(describeUpdateCheck({ kind: 'up-to-date' }, '0.1.0', at).message).toBe('Lifeboat 0.1.0 is the latest version.');
    expect(describeUpdateCheck({ kind: 'available', version: '0.2.0' }, '0.1.0', at)).toMatchObject({ outcome: 'available', version: '0.2.0' });
    expect(describeUpdateCheck({ kind: 'downloaded', version: '0.2.0' }, '0.1.0', at).message).toMatch(/installed when you quit/);
  });

  it('keeps only the first line of a failure (electron-updater puts whole HTTP replies in its errors)', () => {
    const error = new Error('HttpError: 404 Not Found\n"method: GET url: https://x/latest.yml"\nHeaders: {...}');
    const result = describeUpdateCheck({ kind: 'failed', error }, '0.1.0', at);
    expect(result.outcome).toBe('failed');
    expect(result.message).toBe('Could not check for updates: HttpError: 404 Not Found. Backups are not affected; try again later.');
  });
});
