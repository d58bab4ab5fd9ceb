/**
 * The plan editor's draft validation: strings typed into the form become a PlanInput checked by
 * the shared zod schema, plus the checks only the form makes (passphrase, drill needs a database).
 * Errors are keyed by the field they belong to, so the editor can show each next to its input.
 */
import { describe, expect, it } from 'vitest';
import { planPresets } from '../../../src/main/core/scheduler/presets';
import {
  addExclude,
  draftFromPlan,
  draftFromPreset,
  emptyDraft,
  excludePatterns,
  fieldLabel,
  isDefaultExclude,
  missingDefaultExcludes,
  newDatabaseDraft,
  newFolderDraft,
  removeExclude,
  restoreDefaultExcludes,
  validateDraft,
  type DatabaseDraft,
  type DraftValidation,
  type FieldErrors,
  type PlanDraft,
} from '../../../src/renderer/src/lib/plan-form';
import { DEFAULT_EXCLUDES, planInputSchema, type Plan } from '../../../src/shared/plan';

const PASSPHRASE = 'correct horse battery';

/** A new plan the user filled in: one folder, a passphrase typed twice, everything else default. */
function validDraft(overrides: Partial<PlanDraft> = {}): PlanDraft {
  return {
    ...emptyDraft({ destination: '/backups', timezone: 'Europe/Berlin' }),
    name: 'Nightly',
    folders: [{ id: 'folder-1', path: '/srv/www', excludes: 'node_modules\n*.log' }],
    passphrase: PASSPHRASE,
    passphraseConfirm: PASSPHRASE,
    ...overrides,
  };
}

function database(overrides: Partial<DatabaseDraft> = {}): DatabaseDraft {
  return { ...newDatabaseDraft(), id: 'db-1', database: 'shop', ...overrides };
}

function expectOk(result: DraftValidation): Extract<DraftValidation, { ok: true }> {
  if (!result.ok) throw new Error(`expected a valid draft, got errors ${JSON.stringify(result.errors)}`);
  return result;
}

function errorsOf(draft: PlanDraft): FieldErrors {
  const result = validateDraft(draft);
  if (result.ok) throw new Error('expected the draft to be invalid');
  return result.errors;
}

describe('validateDraft: valid drafts', () => {
  it('turns a filled-in new plan into the PlanInput main accepts, and its passphrase into secrets', () => {
    const result = expectOk(
      validateDraft(
        validDraft({
          name: 'Nightly',
          folders: [{ id: 'folder-1', path: '  /srv/www  ', excludes: ' node_modules \n\n*.log\n   \n.git' }],
          compressionLevel: ' 6 ',
          retentionDays: '30',
          maxCount: '',
          keepDaily: '7',
          retriesCount: '3',
          backoffSeconds: '60',
        }),
      ),
    );
    expect(result.plan).toEqual({
      name: 'Nightly',
      enabled: true,
      type: 'full',
      databases: [],
      folders: [{ id: 'folder-1', path: '/srv/www', excludes: ['node_modules', '*.log', '.git'] }],
      schedule: { kind: 'daily', time: '02:00' },
      timezone: 'Europe/Berlin',
      retention: { days: 30, maxCount: null, keepLast: 0, keepDaily: 7, keepWeekly: 0, keepMonthly: 0, keepChains: 0, capBytes: null },
      options: {
        compressionLevel: 6,
        encrypt: true,
        verifyAfter: true,
        drillAfter: false,
        drillServer: null,
        fullEveryRuns: null,
        fullEveryDays: 7,
        retries: { count: 3, backoffSeconds: 60 },
        destination: '/backups',
      },
    });
    // a new plan has no id yet; main assigns one
    expect(result.plan).not.toHaveProperty('id');
    expect(result.secrets).toEqual({ dbPasswords: {}, passphrase: PASSPHRASE });
    expect(planInputSchema.safeParse(result.plan).success).toBe(true);
  });

  it('parses a database source: port as a number, trimmed fields, the password only in secrets', () => {
    const result = expectOk(
      validateDraft(
        validDraft({
          folders: [],
          databases: [database({ host: ' db.example.org ', port: '5433', user: ' backup ', database: ' shop ', password: 's3cret' })],
        }),
      ),
    );
    expect(result.plan.databases).toEqual([
      { id: 'db-1', host: 'db.example.org', port: 5433, user: 'backup', database: 'shop', sslMode: 'prefer', hasPassword: false },
    ]);
    expect(JSON.stringify(result.plan)).not.toContain('s3cret');
    expect(result.secrets).toEqual({ dbPasswords: { 'db-1': 's3cret' }, passphrase: PASSPHRASE });
  });

  it('builds each schedule kind from its fields, week days sorted', () => {
    const weekly = expectOk(validateDraft(validDraft({ scheduleKind: 'weekly', time: '03:30', weekDays: [5, 1, 3] })));
    expect(weekly.plan.schedule).toEqual({ kind: 'weekly', time: '03:30', days: [1, 3, 5] });
    const monthly = expectOk(validateDraft(validDraft({ scheduleKind: 'monthly', time: '23:59', monthDay: '31' })));
    expect(monthly.plan.schedule).toEqual({ kind: 'monthly', time: '23:59', day: 31 });
    const hourly = expectOk(validateDraft(validDraft({ scheduleKind: 'hourly', everyHours: '12' })));
    expect(hourly.plan.schedule).toEqual({ kind: 'hourly', everyHours: 12 });
    const cron = expectOk(validateDraft(validDraft({ scheduleKind: 'cron', cron: '  15 2 * * 1-5 ' })));
    expect(cron.plan.schedule).toEqual({ kind: 'cron', expression: '15 2 * * 1-5' });
    const manual = expectOk(validateDraft(validDraft({ scheduleKind: 'manual', time: 'not used' })));
    expect(manual.plan.schedule).toEqual({ kind: 'manual' });
  });

  it('accepts the retention limits at their bounds and empty as "no limit"', () => {
    expect(expectOk(validateDraft(validDraft({ retentionDays: '1' }))).plan.retention?.days).toBe(1);
    expect(expectOk(validateDraft(validDraft({ retentionDays: '365' }))).plan.retention?.days).toBe(365);
    const unlimited = expectOk(validateDraft(validDraft({ retentionDays: '', maxCount: '' })));
    expect(unlimited.plan.retention).toMatchObject({ days: null, maxCount: null });
  });

  it('accepts each first-run preset once a source and a passphrase are added, keeping its schedule and retention', () => {
    const [dailyFull, weeklyIncremental, databaseDaily] = planPresets('Europe/Berlin');

    const daily = draftFromPreset(dailyFull, '/backups');
    expect(daily.databases).toEqual([]);
    const dailyResult = expectOk(
      validateDraft({ ...daily, folders: validDraft().folders, passphrase: PASSPHRASE, passphraseConfirm: PASSPHRASE }),
    );
    expect(dailyResult.plan).toMatchObject({
      name: 'Daily full backup',
      type: 'full',
      schedule: { kind: 'daily', time: '02:00' },
      timezone: 'Europe/Berlin',
      retention: { days: 7, maxCount: null },
      options: { compressionLevel: 1, encrypt: true, verifyAfter: true, destination: '/backups' },
    });

    const weekly = draftFromPreset(weeklyIncremental, '/backups');
    const weeklyResult = expectOk(
      validateDraft({ ...weekly, folders: validDraft().folders, passphrase: PASSPHRASE, passphraseConfirm: PASSPHRASE }),
    );
    expect(weeklyResult.plan).toMatchObject({
      type: 'incremental',
      schedule: { kind: 'weekly', time: '03:00', days: [0] },
      retention: { days: 30 },
    });

    // the database preset starts with one empty database for the user to fill in
    const dbDraft = draftFromPreset(databaseDaily, '/backups');
    expect(dbDraft.databases).toHaveLength(1);
    const withName = { ...dbDraft, databases: [{ ...dbDraft.databases[0], database: 'shop' }], passphrase: PASSPHRASE, passphraseConfirm: PASSPHRASE };
    const dbResult = expectOk(validateDraft(withName));
    expect(dbResult.plan).toMatchObject({ schedule: { kind: 'daily', time: '01:00' }, retention: { days: 14 } });
    expect(dbResult.plan.databases).toMatchObject([{ host: 'localhost', port: 5432, user: 'postgres', database: 'shop' }]);
  });

  it('a preset as offered asks for its sources: any source, or the name of its database', () => {
    const [dailyFull, , databaseDaily] = planPresets('Europe/Berlin');
    expect(errorsOf(draftFromPreset(dailyFull, '/backups')).databases).toBe('Add at least one database or folder to back up');
    // a new plan has no passphrase in the keychain yet: an encrypted preset asks for one
    expect(draftFromPreset(dailyFull, '/backups').hadEncryption).toBe(false);
    expect(errorsOf(draftFromPreset(dailyFull, '/backups')).passphrase).toBeTruthy();
    const dbErrors = errorsOf(draftFromPreset(databaseDaily, '/backups'));
    expect(dbErrors['databases.0.database']).toBe('This field is required');
    expect(dbErrors).not.toHaveProperty('databases');
  });

  it('re-validates an existing encrypted plan without asking for its passphrase again', () => {
    const plan: Plan = {
      id: 'plan-1',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      ...planInputSchema.parse({
        name: 'Nightly',
        folders: [{ id: 'folder-1', path: '/srv/www' }],
        timezone: 'Europe/Berlin',
        options: { destination: '/backups', encrypt: true },
      }),
    };
    const draft = draftFromPlan(plan);
    expect(draft.hadEncryption).toBe(true);
    const result = expectOk(validateDraft(draft));
    expect(result.plan.id).toBe('plan-1');
    // no passphrase typed: the one in the keychain is kept
    expect(result.secrets).toEqual({ dbPasswords: {} });
  });
});

describe('validateDraft: field errors', () => {
  it('reports an empty or blank name on name', () => {
    expect(errorsOf(validDraft({ name: '' }))).toEqual({ name: 'Enter a name for the plan' });
    expect(errorsOf(validDraft({ name: '   ' }))).toEqual({ name: 'Enter a name for the plan' });
  });

  it('reports a plan without sources on databases', () => {
    expect(errorsOf(validDraft({ folders: [], databases: [] }))).toEqual({
      databases: 'Add at least one database or folder to back up',
    });
  });

  it('reports an empty folder path and empty destination on their fields', () => {
    expect(errorsOf(validDraft({ folders: [{ id: 'folder-1', path: '  ', excludes: '' }] }))).toEqual({
      'folders.0.path': 'This field is required',
    });
    expect(errorsOf(validDraft({ destination: ' ' }))).toEqual({
      'options.destination': 'Enter the destination folder for the backup files',
    });
  });

  it.each([
    ['abc', 'Enter a number'],
    ['0', 'Use a value of at least 1'],
    ['65536', 'Use a value of at most 65535'],
    ['54.5', 'Enter a whole number'],
  ])('reports database port %j on that database’s port: %s', (port, message) => {
    const draft = validDraft({ databases: [database(), database({ id: 'db-2', port })] });
    expect(errorsOf(draft)).toEqual({ 'databases.1.port': message });
  });

  it('reports empty database host, user and name on their fields', () => {
    expect(errorsOf(validDraft({ databases: [database({ host: ' ', user: '', database: '' })] }))).toEqual({
      'databases.0.host': 'This field is required',
      'databases.0.user': 'This field is required',
      'databases.0.database': 'This field is required',
    });
  });

  it.each(['24:00', '2:00', '02:60', '0200', ''])('reports time %j as not HH:mm on schedule.time', (time) => {
    expect(errorsOf(validDraft({ scheduleKind: 'daily', time }))).toEqual({ 'schedule.time': 'Use HH:mm, for example 02:00' });
    expect(errorsOf(validDraft({ scheduleKind: 'weekly', time }))).toEqual({ 'schedule.time': 'Use HH:mm, for example 02:00' });
  });

  it('reports the other schedule fields on their own keys', () => {
    expect(errorsOf(validDraft({ scheduleKind: 'weekly', weekDays: [] }))).toEqual({ 'schedule.days': 'Choose at least one' });
    expect(errorsOf(validDraft({ scheduleKind: 'monthly', monthDay: '32' }))).toEqual({ 'schedule.day': 'Use a value of at most 31' });
    expect(errorsOf(validDraft({ scheduleKind: 'hourly', everyHours: '0' }))).toEqual({
      'schedule.everyHours': 'Use a value of at least 1',
    });
  });

  it('reports a missing or too short cron expression on schedule.expression', () => {
    const message = 'Enter a cron expression, for example 0 2 * * *';
    expect(errorsOf(validDraft({ scheduleKind: 'cron', cron: '' }))).toEqual({ 'schedule.expression': message });
    expect(errorsOf(validDraft({ scheduleKind: 'cron', cron: '  * * * ' }))).toEqual({ 'schedule.expression': message });
  });

  it('reports an empty timezone on timezone', () => {
    expect(errorsOf(validDraft({ timezone: '  ' }))).toEqual({ timezone: 'Enter a timezone, for example Europe/Berlin' });
  });

  it.each([
    ['0', 'Use a value of at least 1'],
    ['366', 'Use a value of at most 365'],
    ['7.5', 'Enter a whole number'],
    ['a week', 'Enter a number'],
  ])('reports retention days %j on retention.days: %s', (retentionDays, message) => {
    expect(errorsOf(validDraft({ retentionDays }))).toEqual({ 'retention.days': message });
  });

  it('reports the other retention limits on their own keys', () => {
    expect(errorsOf(validDraft({ maxCount: '0', keepWeekly: '-1', keepMonthly: '1001' }))).toEqual({
      'retention.maxCount': 'Use a value of at least 1',
      'retention.keepWeekly': 'Use a value of at least 0',
      'retention.keepMonthly': 'Use a value of at most 1000',
    });
  });

  it.each([
    ['10', 'Use a value of at most 9'],
    ['-1', 'Use a value of at least 0'],
    ['fast', 'Enter a number'],
  ])('reports compression level %j on options.compressionLevel: %s', (compressionLevel, message) => {
    expect(errorsOf(validDraft({ compressionLevel }))).toEqual({ 'options.compressionLevel': message });
  });

  it('reports retries out of range on options.retries', () => {
    expect(errorsOf(validDraft({ retriesCount: '11', backoffSeconds: '0' }))).toEqual({
      'options.retries.count': 'Use a value of at most 10',
      'options.retries.backoffSeconds': 'Use a value of at least 1',
    });
  });
});

describe('validateDraft: passphrase', () => {
  it('requires a passphrase for a new encrypted plan', () => {
    expect(errorsOf(validDraft({ passphrase: '', passphraseConfirm: '' }))).toEqual({
      passphrase: 'Enter a passphrase: encrypted backups cannot be read without it',
    });
  });

  it('does not require one when the saved plan was already encrypted (the keychain has it)', () => {
    const result = expectOk(validateDraft(validDraft({ id: 'plan-1', hadEncryption: true, passphrase: '', passphraseConfirm: '' })));
    expect(result.secrets).not.toHaveProperty('passphrase');
  });

  it('rejects a passphrase shorter than 8 characters with the schema’s message', () => {
    expect(errorsOf(validDraft({ passphrase: 'short', passphraseConfirm: 'short' }))).toEqual({
      passphrase: 'Use at least 8 characters for the passphrase',
    });
    // also when replacing the passphrase of an already encrypted plan
    expect(errorsOf(validDraft({ hadEncryption: true, passphrase: 'short', passphraseConfirm: 'short' }))).toEqual({
      passphrase: 'Use at least 8 characters for the passphrase',
    });
  });

  it('reports two passphrases that differ on passphraseConfirm', () => {
    expect(errorsOf(validDraft({ passphraseConfirm: `${PASSPHRASE}!` }))).toEqual({
      passphraseConfirm: 'The two passphrases do not match',
    });
  });

  it('neither requires nor sends a passphrase when encryption is off', () => {
    const result = expectOk(validateDraft(validDraft({ encrypt: false, passphrase: PASSPHRASE, passphraseConfirm: 'something else' })));
    expect(result.plan.options.encrypt).toBe(false);
    expect(result.secrets).toEqual({ dbPasswords: {} });
  });
});

describe('validateDraft: restore drill', () => {
  it('requires a database when the drill after each backup is on', () => {
    expect(errorsOf(validDraft({ drillAfter: true }))).toEqual({
      'options.drillAfter': 'A restore drill restores databases: add a database, or turn the drill off',
    });
    const withDatabase = expectOk(validateDraft(validDraft({ drillAfter: true, databases: [database()] })));
    expect(withDatabase.plan.options).toMatchObject({ drillAfter: true, drillServer: null });
  });

  it('checks the drill server fields when the drill runs on another server', () => {
    const drillServer = { host: ' ', port: '99999', user: '', password: '', sslMode: 'prefer' as const };
    expect(errorsOf(validDraft({ drillAfter: true, databases: [database()], drillOn: 'other', drillServer }))).toEqual({
      'options.drillServer.host': 'This field is required',
      'options.drillServer.port': 'Use a value of at most 65535',
      'options.drillServer.user': 'This field is required',
    });
  });

  it('sends a valid drill server (its password only in secrets), and no server when the drill runs on each database’s own', () => {
    const drillServer = { host: ' drill.example.org ', port: '6432', user: 'drill', password: 'pw', sslMode: 'require' as const };
    const other = expectOk(validateDraft(validDraft({ drillAfter: true, databases: [database()], drillOn: 'other', drillServer })));
    expect(other.plan.options.drillServer).toEqual({
      host: 'drill.example.org',
      port: 6432,
      user: 'drill',
      sslMode: 'require',
      hasPassword: false,
    });
    expect(other.secrets).toMatchObject({ drillPassword: 'pw' });

    // the fields of a server not in use are neither checked nor sent
    const unused = { host: '', port: 'x', user: '', password: 'pw', sslMode: 'prefer' as const };
    const own = expectOk(validateDraft(validDraft({ drillAfter: true, databases: [database()], drillOn: 'own', drillServer: unused })));
    expect(own.plan.options.drillServer).toBeNull();
    expect(own.secrets).not.toHaveProperty('drillPassword');
  });
});

describe('validateDraft: several errors', () => {
  it('reports every invalid field at once, each on its own key', () => {
    const errors = errorsOf(
      validDraft({
        name: '',
        folders: [{ id: 'folder-1', path: '', excludes: '' }],
        databases: [database({ port: 'x' })],
        scheduleKind: 'daily',
        time: '25:00',
        retentionDays: '0',
        compressionLevel: '12',
        destination: '',
        drillAfter: false,
        passphrase: 'short',
        passphraseConfirm: 'other',
      }),
    );
    expect(errors).toEqual({
      name: 'Enter a name for the plan',
      'databases.0.port': 'Enter a number',
      'folders.0.path': 'This field is required',
      'schedule.time': 'Use HH:mm, for example 02:00',
      'retention.days': 'Use a value of at least 1',
      'options.compressionLevel': 'Use a value of at most 9',
      'options.destination': 'Enter the destination folder for the backup files',
      passphrase: 'Use at least 8 characters for the passphrase',
      passphraseConfirm: 'The two passphrases do not match',
    });
  });

  it('reports the form’s own checks together with the schema’s', () => {
    expect(errorsOf(validDraft({ name: '', folders: [], drillAfter: true, passphrase: '', passphraseConfirm: 'x' }))).toEqual({
      name: 'Enter a name for the plan',
      databases: 'Add at least one database or folder to back up',
      'options.drillAfter': 'A restore drill restores databases: add a database, or turn the drill off',
      passphrase: 'Enter a passphrase: encrypted backups cannot be read without it',
      passphraseConfirm: 'The two passphrases do not match',
    });
  });
});

describe('fieldLabel', () => {
  it('names error keys as the user sees the fields', () => {
    expect(fieldLabel('folders.0.path')).toBe('Folder 1 path');
    expect(fieldLabel('databases.1.port')).toBe('Database 2 port');
    expect(fieldLabel('schedule.time')).toBe('Time');
    expect(fieldLabel('options.drillServer.port')).toBe('Drill server port');
    expect(fieldLabel('passphraseConfirm')).toBe('Confirm passphrase');
  });
});

describe('exclude patterns (the editor\'s chips)', () => {
  it('a new folder starts with every default, each shown as a default chip', () => {
    const folder = newFolderDraft();
    expect(excludePatterns(folder.excludes)).toEqual(DEFAULT_EXCLUDES);
    expect(excludePatterns(folder.excludes).every(isDefaultExclude)).toBe(true);
    expect(isDefaultExclude('*.iso')).toBe(false);
    expect(missingDefaultExcludes(folder.excludes)).toEqual([]);
  });

  it('reads the patterns trimmed, without blank lines or repeats', () => {
    expect(excludePatterns(' node_modules \n\n*.log\n   \n.git\n*.log')).toEqual(['node_modules', '*.log', '.git']);
    expect(excludePatterns('')).toEqual([]);
  });

  it('removes a default the user wants backed up, and brings the removed defaults back on request', () => {
    const start = newFolderDraft().excludes;
    const withoutGit = removeExclude(removeExclude(start, '.git'), '*.log');
    expect(excludePatterns(withoutGit)).toEqual(DEFAULT_EXCLUDES.filter((p) => p !== '.git' && p !== '*.log'));
    expect(missingDefaultExcludes(withoutGit)).toEqual(['.git', '*.log']);
    const own = addExclude(withoutGit, '*.iso');
    expect(excludePatterns(restoreDefaultExcludes(own))).toEqual([...DEFAULT_EXCLUDES.filter((p) => p !== '.git' && p !== '*.log'), '*.iso', '.git', '*.log']);
    expect(missingDefaultExcludes(restoreDefaultExcludes(own))).toEqual([]);
  });

  it('adds a typed pattern once, trimmed, and ignores a blank one', () => {
    expect(addExclude('node_modules', '  *.iso ')).toBe('node_modules\n*.iso');
    expect(addExclude('node_modules\n*.iso', '*.iso')).toBe('node_modules\n*.iso');
    expect(addExclude('node_modules', '   ')).toBe('node_modules');
    expect(addExclude('', 'cache')).toBe('cache');
  });

  it('saves exactly the chips shown: removed defaults stay out, added patterns go in, no defaults at all is allowed', () => {
    const chips = addExclude(removeExclude(newFolderDraft().excludes, 'node_modules'), 'build/tmp');
    const result = expectOk(validateDraft(validDraft({ folders: [{ id: 'folder-1', path: '/srv/www', excludes: chips }] })));
    expect(result.plan.folders?.[0]?.excludes).toEqual([...DEFAULT_EXCLUDES.filter((p) => p !== 'node_modules'), 'build/tmp']);
    const none = DEFAULT_EXCLUDES.reduce(removeExclude, newFolderDraft().excludes);
    expect(none).toBe('');
    const empty = expectOk(validateDraft(validDraft({ folders: [{ id: 'folder-1', path: '/srv/www', excludes: none }] })));
    expect(empty.plan.folders?.[0]?.excludes).toEqual([]);
    // a saved plan's patterns come back as the same chips
    const plan = { ...planInputSchema.parse(result.plan), id: 'p1', createdAt: '', updatedAt: '' } as Plan;
    expect(excludePatterns(draftFromPlan(plan).folders[0]!.excludes)).toEqual(result.plan.folders?.[0]?.excludes);
  });

  it('reports a pattern the schema refuses on its folder\'s excludes', () => {
    const long = addExclude('node_modules', 'x'.repeat(513));
    expect(Object.keys(errorsOf(validDraft({ folders: [{ id: 'folder-1', path: '/srv/www', excludes: long }] })))).toEqual(['folders.0.excludes.1']);
  });
});
