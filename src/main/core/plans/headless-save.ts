/**
 * Saving a plan from a process that cannot open the app's keychain (the `lifeboat` command, a
 * service): the plan names where each secret comes from (passwordFrom / passphraseFrom:
 * env:NAME, file:/path) and nothing but the plan is stored. The keychain is the app's: this
 * process can neither read it nor write it, so what it already keeps for an existing plan (a
 * password the app saved, the passphrase of a plan the app encrypted) stays as the catalog
 * recorded it (hasPassword, encrypt), and `keychain` in the input means "what the keychain
 * holds", which is the default and so is not stored.
 */
import { AppError } from '../../../shared/errors';
import { isKeychainRef, type Plan, type PlanDefinition, type SecretRef } from '../../../shared/plan';
import { secretKeys } from '../paths';
import type { SecretStore } from '../ports';
import { savePlan, type PlanSaveContext } from './save-plan';

/** A problem with a plan, named by its field path (`options.passphraseFrom`, `databases[0].port`). */
export interface PlanIssue {
  path: string;
  message: string;
}

export interface HeadlessSaveCheck {
  /** the definition as it will be saved: `keychain` references dropped, hasPassword as the keychain holds it */
  definition: PlanDefinition;
  /** what the save refuses */
  issues: PlanIssue[];
  /** what will work differently from what the input says */
  warnings: string[];
}

/** What the app's keychain holds for `existing`, as far as the catalog knows (this process cannot look). */
function keychainHolds(existing: Plan | undefined): { passphrase: boolean; db: (id: string) => boolean; drill: boolean; dest: (id: string) => boolean } {
  return {
    passphrase: Boolean(existing?.options.encrypt && isKeychainRef(existing.options.passphraseFrom)),
    db: (id) => Boolean(existing?.databases.find((d) => d.id === id)?.hasPassword),
    drill: Boolean(existing?.options.drillServer?.hasPassword),
    dest: (id) => Boolean(existing?.options.copies.find((d) => d.id === id)?.hasSecret),
  };
}

const withoutKeychainRef = <T extends { passwordFrom?: SecretRef }>(source: T): T => {
  const { passwordFrom, ...rest } = source;
  return (isKeychainRef(passwordFrom) ? rest : { ...rest, passwordFrom }) as T;
};

/**
 * Checks a definition for a headless save over `existing` (the plan of the same id, if any), and
 * returns it as it will be saved. An encrypted plan needs its passphrase named by env:/file:
 * unless the keychain already keeps the existing plan's; a password the input says is in the
 * keychain when the keychain holds none for that source is a warning (the run then uses
 * PGPASSWORD or ~/.pgpass).
 */
export function checkHeadlessSave(input: PlanDefinition, existing: Plan | undefined): HeadlessSaveCheck {
  const holds = keychainHolds(existing);
  const issues: PlanIssue[] = [];
  const warnings: string[] = [];
  const { passphraseFrom, ...options } = input.options;
  if (input.options.encrypt && isKeychainRef(passphraseFrom) && !holds.passphrase) {
    issues.push({
      path: 'options.passphraseFrom',
      message:
        "an encrypted plan needs its passphrase, and the app's keychain holds none for it (the lifeboat command cannot store one): " +
        'name it with passphraseFrom env:NAME or file:/path (plan create/edit: --passphrase-file or --passphrase-from), or set it in the app',
    });
  }
  input.databases.forEach((db, i) => {
    if (db.passwordFrom === 'keychain' && !holds.db(db.id)) {
      warnings.push(
        `databases[${i}] (${db.id}): the app's keychain holds no password for it; the lifeboat command will use PGPASSWORD or ~/.pgpass (or name one with passwordFrom env:NAME or file:/path)`,
      );
    }
  });
  const drill = input.options.drillServer;
  if (drill?.passwordFrom === 'keychain' && !holds.drill) {
    warnings.push("options.drillServer: the app's keychain holds no password for the drill server; the lifeboat command will use PGPASSWORD or ~/.pgpass");
  }
  // a copy's secret: `keychain` is what the app keeps for that copy (the lifeboat command cannot store one)
  const copies = input.options.copies.map((copy) => {
    const { secretFrom, ...rest } = copy;
    if (!isKeychainRef(secretFrom)) return { ...rest, secretFrom, hasSecret: false };
    return { ...rest, hasSecret: rest.kind !== 'local' && holds.dest(copy.id) };
  });
  input.options.copies.forEach((copy, i) => {
    if (copy.secretFrom === 'keychain' && !holds.dest(copy.id)) {
      warnings.push(
        `options.copies[${i}] (${copy.id}): the app's keychain holds no secret for it; name one with secretFrom env:NAME or file:/path (plan edit: --copy with --copy-secret-from), or set it in the app`,
      );
    }
  });
  const definition: PlanDefinition = {
    ...input,
    ...(existing ? { id: existing.id } : {}),
    databases: input.databases.map((db) => ({ ...withoutKeychainRef(db), hasPassword: isKeychainRef(db.passwordFrom) && holds.db(db.id) })),
    options: {
      ...options,
      ...(isKeychainRef(passphraseFrom) ? {} : { passphraseFrom }),
      drillServer: drill ? { ...withoutKeychainRef(drill), hasPassword: isKeychainRef(drill.passwordFrom) && holds.drill } : null,
      copies,
    },
  };
  return { definition, issues, warnings };
}

/**
 * A keychain that answers what the catalog says the app's keychain holds for `existing` (a
 * stand-in value, never a secret), stores nothing (the command line names its secrets by
 * reference) and leaves the app's entries alone.
 */
function catalogKeychainView(existing: Plan | undefined): SecretStore {
  const holds = keychainHolds(existing);
  const id = existing?.id;
  const known = (key: string): boolean => {
    if (!id) return false;
    if (key === secretKeys.passphrase(id)) return holds.passphrase;
    if (key === secretKeys.drillPassword(id)) return holds.drill;
    const destPrefix = secretKeys.destSecret(id, '');
    if (key.startsWith(destPrefix)) return holds.dest(key.slice(destPrefix.length));
    const dbPrefix = secretKeys.dbPassword(id, '');
    return key.startsWith(dbPrefix) && holds.db(key.slice(dbPrefix.length));
  };
  return {
    get: async (key) => (known(key) ? 'kept in the app keychain' : null),
    set: async () => {
      throw new AppError('VALIDATION', { detail: 'the lifeboat command stores no secrets: name them with passwordFrom / passphraseFrom env:NAME or file:/path' });
    },
    delete: async () => undefined,
  };
}

/**
 * Creates (no id) or updates (id of an existing plan) a plan without touching any keychain,
 * through the same savePlan as the app (validation, audit, plans/changed). PASSPHRASE_REQUIRED
 * when checkHeadlessSave finds an issue; NOT_FOUND, VALIDATION as savePlan.
 */
export async function saveHeadlessPlan(ctx: PlanSaveContext, input: PlanDefinition, actor: string): Promise<{ plan: Plan; warnings: string[] }> {
  const existing = input.id ? ctx.plans.get(input.id) : undefined;
  if (input.id && !existing) throw new AppError('NOT_FOUND', { detail: `plan ${input.id}` });
  const check = checkHeadlessSave(input, existing);
  if (check.issues.length) {
    throw new AppError('PASSPHRASE_REQUIRED', { detail: check.issues.map((i) => `${i.path}: ${i.message}`).join('; ') });
  }
  const plan = await savePlan(
    { plans: ctx.plans, audit: ctx.audit, clock: ctx.clock, events: ctx.events, secrets: catalogKeychainView(existing) },
    { plan: check.definition, secrets: { dbPasswords: {} } },
    actor,
  );
  return { plan, warnings: check.warnings };
}
