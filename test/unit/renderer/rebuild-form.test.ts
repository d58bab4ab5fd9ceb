/**
 * Rebuild catalog's form: a folder or an off-site destination becomes the backups/rebuild-catalog
 * request the IPC contract accepts (the destination's secret beside it, never in it); an
 * incomplete destination is refused naming its fields; changing the kind drops the secret and
 * the accepted host key.
 */
import { describe, expect, it } from 'vitest';
import { restoreInvokeSchemas } from '../../../src/shared/restore';
import { newRebuildForm, firstOf, rebuildRequest, withKind, type RebuildForm } from '../../../src/renderer/src/lib/rebuild-form';

const FINGERPRINT = 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU';

function s3Form(secret: string): RebuildForm {
  const form = newRebuildForm();
  return {
    ...form,
    from: 'destination',
    passphrase: 'pass phrase',
    draft: { ...form.draft, bucket: 'acme-backups', prefix: 'lifeboat/shop/', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, accessKeyId: 'AKIAEXAMPLE', secret },
  };
}

describe('Rebuild catalog’s request', () => {
  it('reads a folder as typed, trimmed, with the passphrase when one is given', () => {
    expect(rebuildRequest({ ...newRebuildForm(), folder: '  /mnt/usb/lifeboat ' })).toEqual({ ok: true, request: { folder: '/mnt/usb/lifeboat' } });
    const built = rebuildRequest({ ...newRebuildForm(), folder: '/mnt/usb', passphrase: 'secret words' });
    expect(built).toEqual({ ok: true, request: { folder: '/mnt/usb', passphrase: 'secret words' } });
    expect(rebuildRequest({ ...newRebuildForm(), folder: '   ' })).toEqual({ ok: false, errors: { folder: 'Enter the folder that holds the .lifeboat files' } });
  });

  it('sends an S3 destination with its secret beside it, in the shape the IPC contract accepts', () => {
    const built = rebuildRequest(s3Form('wJalrXUtnFEMI'));
    if (!built.ok) throw new Error(JSON.stringify(built.errors));
    expect(built.request).toMatchObject({
      destination: { kind: 's3', bucket: 'acme-backups', prefix: 'lifeboat/shop', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, credentials: 'keychain', accessKeyId: 'AKIAEXAMPLE', hasSecret: false },
      secret: 'wJalrXUtnFEMI',
      passphrase: 'pass phrase',
    });
    // the secret is never part of the destination itself
    expect(JSON.stringify('destination' in built.request ? built.request.destination : null)).not.toContain('wJalrXUtnFEMI');
    expect(restoreInvokeSchemas['backups/rebuild-catalog'].safeParse(built.request).success).toBe(true);
  });

  it('refuses an incomplete destination, naming each field to fix', () => {
    const form = s3Form('');
    const built = rebuildRequest({ ...form, draft: { ...form.draft, bucket: '', accessKeyId: '' } });
    expect(built.ok).toBe(false);
    if (built.ok) return;
    expect(built.errors).toMatchObject({
      bucket: 'Enter the bucket name',
      accessKeyId: 'Enter the access key id, or use the standard AWS chain',
      secret: expect.stringContaining('Enter the secret access key'),
    });
  });

  it('sends an SFTP destination with the host key the user accepted', () => {
    const form = newRebuildForm();
    const draft = { ...withKind(form.draft, 'sftp'), host: 'backup.example.com', user: 'lifeboat', path: 'backups', keyFile: '/home/me/.ssh/id_ed25519', hostKey: FINGERPRINT };
    const built = rebuildRequest({ ...form, from: 'destination', draft });
    if (!built.ok) throw new Error(JSON.stringify(built.errors));
    expect(built.request).toEqual({
      destination: expect.objectContaining({ kind: 'sftp', host: 'backup.example.com', port: 22, auth: 'key', keyFile: '/home/me/.ssh/id_ed25519', hostKey: FINGERPRINT }),
    });
    expect(restoreInvokeSchemas['backups/rebuild-catalog'].safeParse(built.request).success).toBe(true);
    // without a key file it names the field
    const noKey = rebuildRequest({ ...form, from: 'destination', draft: { ...draft, keyFile: '' } });
    expect(noKey.ok ? null : noKey.errors.keyFile).toMatch(/private key file/);
  });

  it('drops the secret and the accepted host key when the kind changes, keeping the rest', () => {
    const draft = { ...s3Form('wJalrXUtnFEMI').draft, hostKey: FINGERPRINT };
    const azure = withKind(draft, 'azure');
    expect(azure).toMatchObject({ kind: 'azure', secret: '', hostKey: '', prefix: 'lifeboat/shop/', endpoint: 'http://127.0.0.1:9000' });
    expect(withKind(draft, 's3')).toBe(draft);
  });

  it('names at most a limited number of backups per list, counting the rest', () => {
    expect(firstOf([1, 2, 3], 2)).toEqual({ shown: [1, 2], more: 1 });
    expect(firstOf([1], 2)).toEqual({ shown: [1], more: 0 });
  });
});
