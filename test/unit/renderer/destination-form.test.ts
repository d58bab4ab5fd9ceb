/**
 * The plan editor's copies: a copy read into the form and back is the same copy; its secret is
 * never in the plan, only in secrets.destSecrets ('' removes, absent keeps); bad or missing
 * fields are refused with a message naming the fix; and the Dashboard's off-site line.
 */
import { describe, expect, it } from 'vitest';
import { destinationSchema, type BackupCopy, type DestinationConfig, type PlanOffsiteStatus } from '../../../src/shared/destination';
import {
  destinationFromDraft,
  destinationSecrets,
  draftFromDestination,
  formatSpan,
  newDestinationDraft,
  offsiteLine,
  schedulePeriodMs,
  validateDestinationDraft,
  type DestinationDraft,
} from '../../../src/renderer/src/lib/destination-form';
import { draftFromPlan, emptyDraft, fieldLabel, validateDraft } from '../../../src/renderer/src/lib/plan-form';
import { planInputSchema, type Plan } from '../../../src/shared/plan';

const S3: DestinationConfig = destinationSchema.parse({
  id: 'c-s3',
  kind: 's3',
  label: 'Wasabi EU',
  endpoint: 'https://s3.eu-central-2.wasabisys.com',
  region: 'eu-central-2',
  bucket: 'acme-backups',
  prefix: 'lifeboat/shop',
  forcePathStyle: true,
  storageClass: 'STANDARD_IA',
  credentials: 'keychain',
  accessKeyId: 'AKIAEXAMPLE',
  readBack: true,
  hasSecret: true,
});
const AZURE = destinationSchema.parse({ id: 'c-az', kind: 'azure', account: 'acmebackups', container: 'lifeboat', auth: 'sas', hasSecret: true });
const SFTP = destinationSchema.parse({
  id: 'c-sftp',
  kind: 'sftp',
  host: 'backup.example.com',
  port: 2222,
  user: 'lifeboat',
  path: '/srv/backups',
  auth: 'key',
  keyFile: '/home/me/.ssh/id_ed25519',
  hostKey: `SHA256:${'A'.repeat(43)}`,
});
const LOCAL = destinationSchema.parse({ id: 'c-usb', kind: 'local', path: '/mnt/usb/lifeboat', secretFrom: undefined });

function plan(copies: DestinationConfig[]): Plan {
  const definition = planInputSchema.parse({ name: 'Shop', folders: [{ id: 'f', path: '/srv/shop' }], options: { destination: '/var/backups', encrypt: false, copies } });
  return { ...definition, id: 'p1', createdAt: '2025-01-01T00:00:00Z', updatedAt: '2025-01-01T00:00:00Z' };
}

describe('a copy in the editor', () => {
  it('round-trips every kind', () => {
    for (const config of [S3, AZURE, SFTP, LOCAL]) {
      expect(destinationSchema.parse(destinationFromDraft(draftFromDestination(config)))).toEqual(config);
    }
  });

  it('keeps the copies of a plan through the whole form, with no secret in the plan', () => {
    const p = plan([S3, SFTP]);
    const draft = draftFromPlan(p);
    draft.copies[0] = { ...draft.copies[0]!, secret: 'wJalrXUtnFEMI/K7MDENG' };
    const result = validateDraft(draft);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(planInputSchema.parse(result.plan).options.copies).toEqual([S3, SFTP]);
    expect(JSON.stringify(result.plan)).not.toContain('wJalrXUtnFEMI');
    expect(result.secrets?.destSecrets).toEqual({ 'c-s3': 'wJalrXUtnFEMI/K7MDENG' });
  });

  it("sends a secret only when typed, '' when removed or stored for another way of signing in", () => {
    const az = draftFromDestination(AZURE);
    const sftp = draftFromDestination(destinationSchema.parse({ ...SFTP, hasSecret: true }));
    expect(destinationSecrets([az, sftp])).toEqual({});
    expect(destinationSecrets([{ ...sftp, removeSecret: true }])).toEqual({ 'c-sftp': '' });
    // the stored SAS token is no account key: switching drops it, and the form asks for the key
    const switched: DestinationDraft = { ...az, azureAuth: 'key' };
    expect(destinationSecrets([switched])).toEqual({ 'c-az': '' });
    expect(validateDestinationDraft(switched)).toEqual({ ok: false, errors: { secret: expect.stringMatching(/^Enter the account key/) } });
    expect(destinationSecrets([{ ...switched, secret: 'key==' }])).toEqual({ 'c-az': 'key==' });
    // a secret named by reference is the command line's: never touched from here
    expect(destinationSecrets([{ ...az, secretFrom: 'env:AZURE_SAS', removeSecret: true }])).toEqual({});
  });

  it('names the fix for missing and bad fields', () => {
    const s3 = { ...newDestinationDraft('s3'), prefix: '/root' };
    const result = validateDestinationDraft(s3);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.bucket).toBe('Enter the bucket name');
    expect(result.errors.prefix).toMatch(/without a leading \//);
    expect(result.errors.accessKeyId).toMatch(/access key id/);
    expect(result.errors.secret).toMatch(/secret access key/);

    const badEndpoint = validateDestinationDraft({ ...draftFromDestination(S3), endpoint: 'wasabi' });
    expect(badEndpoint.ok || badEndpoint.errors.endpoint).toMatch(/as a URL/);

    const sftp = validateDestinationDraft({ ...newDestinationDraft('sftp'), port: '70000', sftpAuth: 'password' });
    expect(sftp.ok).toBe(false);
    if (sftp.ok) return;
    expect(sftp.errors).toMatchObject({
      host: expect.stringMatching(/host name/),
      user: expect.stringMatching(/user name/),
      path: expect.stringMatching(/remote folder/),
      port: expect.stringMatching(/1 to 65535/),
      secret: expect.stringMatching(/password/),
    });
    // the AWS chain needs no key here
    expect(validateDestinationDraft({ ...newDestinationDraft('s3'), bucket: 'b', credentials: 'aws-chain' }).ok).toBe(true);
  });

  it("puts a copy's errors under its own keys and names them in the summary", () => {
    const draft = { ...emptyDraft({ destination: '/var/backups' }), name: 'Shop', encrypt: false, folders: [{ id: 'f', path: '/srv', excludes: '' }] };
    const result = validateDraft({ ...draft, copies: [draftFromDestination(LOCAL), newDestinationDraft('azure')] });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual({
      'options.copies.1.account': 'Enter the storage account name',
      'options.copies.1.container': 'Enter the container name',
      'options.copies.1.secret': expect.stringMatching(/^Enter the account key/),
    });
    expect(fieldLabel('options.copies.1.account')).toBe('Copy 2 storage account');
  });
});

describe('the off-site line of the Dashboard', () => {
  const now = new Date('2025-06-10T12:00:00Z');
  const relative = (iso: string, at: Date) => `${Math.round((at.getTime() - new Date(iso).getTime()) / 3_600_000)} h ago`;
  const copy = (patch: Partial<BackupCopy>): BackupCopy => ({
    backupId: 'b1',
    destinationId: 'c-s3',
    kind: 's3',
    destinationUrl: 's3://acme-backups/lifeboat/shop',
    url: 's3://acme-backups/lifeboat/shop/shop-2025-06-10.lifeboat',
    key: 'shop-2025-06-10.lifeboat',
    status: 'verified',
    sizeBytes: 1000,
    sha256: null,
    uploadedAt: '2025-06-10T09:55:00Z',
    verifiedAt: '2025-06-10T10:00:00Z',
    error: null,
    attempts: 1,
    ...patch,
  });
  const status = (patch: Partial<PlanOffsiteStatus>): PlanOffsiteStatus => ({
    planId: 'p1',
    planName: 'Shop',
    configured: true,
    newestBackupId: 'b1',
    newestBackupAt: '2025-06-10T09:50:00Z',
    state: 'verified',
    unprotectedSince: null,
    copies: [copy({})],
    ...patch,
  });
  const daily = plan([S3]);

  it('says where the verified copy is, by its name when it has one', () => {
    expect(offsiteLine(status({}), daily, now, relative)).toEqual({ text: 'Off-site: verified 2 h ago at Wasabi EU (s3://acme-backups/lifeboat/shop)', tone: 'ok', detail: null });
    expect(offsiteLine(status({}), plan([{ ...S3, label: undefined }]), now, relative).text).toBe('Off-site: verified 2 h ago at s3://acme-backups/lifeboat/shop');
  });

  it('is muted when nothing is set up, a warning past the schedule period, an error when the copies failed', () => {
    expect(offsiteLine(status({ state: 'not-configured', configured: false, copies: [] }), daily, now, relative)).toMatchObject({ text: 'Off-site: not set up', tone: 'muted' });
    expect(offsiteLine(status({ state: 'not-configured', configured: false }), plan([LOCAL]), now, relative).text).toBe(
      'Off-site: not set up (one copy in another folder on this machine)',
    );
    const failed = copy({ status: 'failed', verifiedAt: null, uploadedAt: null, error: 'The off-site destination refused the credentials.' });
    expect(offsiteLine(status({ state: 'failed', unprotectedSince: '2025-06-07T09:00:00Z', copies: [failed] }), daily, now, relative)).toEqual({
      text: 'No off-site copy for 3 days',
      tone: 'error',
      detail: 'The off-site destination refused the credentials.',
    });
    expect(offsiteLine(status({ state: 'pending', unprotectedSince: '2025-06-09T02:00:00Z', copies: [] }), daily, now, relative)).toMatchObject({
      text: 'No off-site copy for 34 hours',
      tone: 'warn',
    });
    // within the period: not yet a warning
    expect(offsiteLine(status({ state: 'failed', unprotectedSince: '2025-06-10T09:00:00Z', copies: [failed] }), daily, now, relative)).toMatchObject({
      tone: 'error',
      text: expect.stringMatching(/^Off-site: the copy of the newest backup failed at Wasabi EU/),
    });
    expect(offsiteLine(status({ state: 'uploaded', unprotectedSince: '2025-06-10T09:50:00Z', copies: [copy({ status: 'uploaded', verifiedAt: null })] }), daily, now, relative)).toMatchObject({
      tone: 'info',
      text: expect.stringMatching(/uploaded 2 h ago .*not verified yet$/),
    });
  });

  it('takes the period from the schedule', () => {
    expect(schedulePeriodMs({ kind: 'weekly', time: '02:00', days: [1, 3] })).toBe(5 * 86_400_000);
    expect(schedulePeriodMs({ kind: 'hourly', everyHours: 6 })).toBe(6 * 3_600_000);
    expect(schedulePeriodMs({ kind: 'manual' })).toBeNull();
    expect([formatSpan(3 * 86_400_000 + 5), formatSpan(90 * 60_000), formatSpan(1000)]).toEqual(['3 days', '90 minutes', '1 minute']);
  });
});
