/**
 * Secrets a plan names by reference (passwordFrom / passphraseFrom: env:NAME, file:/path) instead
 * of keeping them in the app's keychain. Tasks ask the secret store by key
 * (paths.ts secretKeys: `db:<plan>:<source>`, `passphrase:<plan>`, `drill:<plan>`, `dest:<plan>:<destination>`), as for the
 * keychain; withPlanSecretRefs maps such a key to its plan's reference and lets the store read it
 * (SecretStore.resolveReference: the command line's reads the environment and files). A store
 * without resolveReference (the app's keychain) is used as it is.
 */
import { isKeychainRef, type Plan, type SecretRef } from '../../../shared/plan';
import type { SecretStore } from '../ports';

/** The reference a secret-store key names in its plan, and whose secret it is (for messages). */
export interface PlanSecretRef {
  plan: Plan;
  ref: SecretRef | undefined;
  what: string;
}

/** The plan secret a key names (`db:<plan>:<source>`, `passphrase:<plan>`, `drill:<plan>`, `dest:<plan>:<destination>`), if that plan and source exist. */
export function planSecretRefOf(plans: { get(id: string): Plan | undefined }, key: string): PlanSecretRef | null {
  const match = /^(db|passphrase|drill|dest):([^:]+)(?::(.*))?$/.exec(key);
  if (!match) return null;
  const plan = plans.get(match[2]!);
  if (!plan) return null;
  if (match[1] === 'passphrase') return { plan, ref: plan.options.passphraseFrom, what: 'its passphrase' };
  if (match[1] === 'drill') return { plan, ref: plan.options.drillServer?.passwordFrom, what: 'the password of its drill server' };
  if (match[1] === 'dest') {
    const dest = plan.options.copies.find((d) => d.id === match[3]);
    return dest ? { plan, ref: dest.secretFrom, what: `the secret of its destination ${dest.label ?? dest.id}` } : null;
  }
  const db = plan.databases.find((d) => d.id === match[3]);
  return db ? { plan, ref: db.passwordFrom, what: `the password of database ${db.id} (${db.database} on ${db.host})` } : null;
}

/**
 * `store`, reading the env:/file: references of plans through its resolveReference (looked up in
 * `plans` at each get, so an edited plan counts at once); every other key, and every store
 * without resolveReference, as before.
 */
export function withPlanSecretRefs(store: SecretStore, plans: { get(id: string): Plan | undefined }): SecretStore {
  const resolve = store.resolveReference?.bind(store);
  if (!resolve) return store;
  return {
    async get(key) {
      const named = planSecretRefOf(plans, key);
      if (!named || isKeychainRef(named.ref)) return store.get(key);
      return resolve(named.ref!, `plan "${named.plan.name}", ${named.what}`);
    },
    set: (key, value) => store.set(key, value),
    delete: (key) => store.delete(key),
    resolveReference: resolve,
  };
}
