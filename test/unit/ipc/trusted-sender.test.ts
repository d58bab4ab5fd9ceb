import { describe, expect, it } from 'vitest';
import { isTrustedSenderUrl } from '../../../src/main/core/ipc/trusted-sender';

const packaged = { devServerUrl: null, rendererFileUrl: 'file:///opt/Lifeboat/resources/app.asar/out/renderer/index.html' };
const dev = { devServerUrl: 'http://localhost:5173', rendererFileUrl: 'file:///repo/out/renderer/index.html' };

describe('isTrustedSenderUrl', () => {
  it('accepts the bundled renderer page, with any hash or query', () => {
    expect(isTrustedSenderUrl(packaged.rendererFileUrl, packaged)).toBe(true);
    expect(isTrustedSenderUrl(`${packaged.rendererFileUrl}#/jobs/123`, packaged)).toBe(true);
    expect(isTrustedSenderUrl(`${packaged.rendererFileUrl}?view=plans`, packaged)).toBe(true);
  });

  it('refuses other local files, including look-alikes and traversal', () => {
    expect(isTrustedSenderUrl('file:///tmp/evil.html', packaged)).toBe(false);
    expect(isTrustedSenderUrl('file:///opt/Lifeboat/resources/app.asar/out/renderer/index.html.evil', packaged)).toBe(false);
    expect(isTrustedSenderUrl('file:///opt/Lifeboat/resources/app.asar/out/renderer/../../evil/index.html', packaged)).toBe(false);
    expect(isTrustedSenderUrl('file://attacker-share/opt/Lifeboat/resources/app.asar/out/renderer/index.html', packaged)).toBe(false);
  });

  it('refuses remote, data, about and unparsable URLs', () => {
    for (const url of ['https://example.com/', 'data:text/html,<h1>x</h1>', 'about:blank', 'not a url', '', null, undefined]) {
      expect(isTrustedSenderUrl(url, packaged)).toBe(false);
    }
  });

  it('matches Windows paths whatever the drive letter case or percent-encoding', () => {
    const win = { devServerUrl: null, rendererFileUrl: 'file:///C:/Program%20Files/Lifeboat/resources/app.asar/out/renderer/index.html' };
    expect(isTrustedSenderUrl('file:///c:/Program Files/Lifeboat/resources/app.asar/out/renderer/index.html', win)).toBe(true);
    expect(isTrustedSenderUrl('file:///D:/Program%20Files/Lifeboat/resources/app.asar/out/renderer/index.html', win)).toBe(false);
  });

  it('keeps case significant on POSIX paths', () => {
    expect(isTrustedSenderUrl('file:///opt/lifeboat/resources/app.asar/out/renderer/index.html', packaged)).toBe(false);
  });

  it('accepts the dev server origin only when one is set', () => {
    expect(isTrustedSenderUrl('http://localhost:5173/', dev)).toBe(true);
    expect(isTrustedSenderUrl('http://localhost:5173/index.html#/plans', dev)).toBe(true);
    expect(isTrustedSenderUrl('http://localhost:5173/', packaged)).toBe(false);
  });

  it('refuses a different port, host or scheme than the dev server', () => {
    expect(isTrustedSenderUrl('http://localhost:5174/', dev)).toBe(false);
    expect(isTrustedSenderUrl('http://127.0.0.1:5173/', dev)).toBe(false);
    expect(isTrustedSenderUrl('https://localhost:5173/', dev)).toBe(false);
    expect(isTrustedSenderUrl('http://localhost:5173.evil.com/', dev)).toBe(false);
  });

  it('still accepts the built page while a dev server is configured (electron-vite preview)', () => {
    expect(isTrustedSenderUrl(dev.rendererFileUrl, dev)).toBe(true);
  });

  it('does not trust a file: "dev server" (file origins are all "null")', () => {
    const odd = { devServerUrl: 'file:///repo/out/renderer/index.html', rendererFileUrl: 'file:///repo/out/renderer/index.html' };
    expect(isTrustedSenderUrl('file:///tmp/other.html', odd)).toBe(false);
  });
});
