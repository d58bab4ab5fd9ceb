/**
 * Saving and deleting a plan with its secrets. The rules: a database password, the passphrase,
 * a drill server's password and a destination's secret (destSecrets) go to the keychain, never
 * into the plan; '' removes a stored one; a destination removed from the plan takes its secret
 * with it; the drill server's password is kept only while the plan drills on a server of its own; an
 * encrypted plan cannot be saved without a passphrase; a bad time zone or cron expression is
 * refused here, not discovered at 02:00. A secret the plan names by reference (passwordFrom,
 * passphraseFrom: env:NAME, file:/path) is not the keychain's: hasPassword stays false for it and
 * no keychain passphrase is required. Each change is audited and announced.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../../../shared/errors';
import type { ValidRequest } from '../../../shared/ipc-contract';
import type { DestinationConfig } from '../../../shared/destination';
import { isKeychainRef, type Plan } from '../../../shared/plan';
import type { CoreContext } from '../context';
import { secretKeys } from '../paths';
import { validateSchedule } from '../scheduler/next-run';

type SaveRequest = ValidRequest<'plans/save'>;

export type PlanSaveContext = Pick<CoreContext, 'plans' | 'secrets' | 'clock' | 'audit' | 'events'>;

/** Stores the plan's secrets in the keychain as the request asks. */
async function storeSecrets(ctx: Pick<CoreContext, 'secrets'>, id: string, { plan, secrets }: SaveRequest): Promise<void> {
  for (const [sourceId, password] of Object.entries(secrets.dbPasswords)) {
    const key = secretKeys.dbPassword(id, sourceId);
    if (password === '') await ctx.secrets.delete(key);
    else await ctx.secrets.set(key, password);
  }
  if (secrets.passphrase) await ctx.secrets.set(secretKeys.passphrase(id), secrets.passphrase);
  // the drill server's password: kept only while the plan drills on a server of its own
  const drillKey = secretKeys.drillPassword(id);
  if (secrets.drillPassword === '' || !plan.options.drillServer) await ctx.secrets.delete(drillKey);
  else if (secrets.drillPassword) await ctx.secrets.set(drillKey, secrets.drillPassword);
  // a destination's secret: only for a destination the plan has (a local folder has none)
  for (const [destinationId, secret] of Object.entries(secrets.destSecrets ?? {})) {
    const dest = plan.options.copies.find((d) => d.id === destinationId);
    const key = secretKeys.destSecret(id, destinationId);
    if (secret === '' || !dest || dest.kind === 'local') await ctx.secrets.delete(key);
    else await ctx.secrets.set(key, secret);
  }
}

/**
 * The plan's destinations as saved: `hasSecret` from the keychain (false for a secret named by
 * reference), the secrets of destinations the plan no longer has removed from the keychain, and
 * a pinned SFTP host key dropped when the destination now names another host or port (a key
 * accepted for one server is no pin for another).
 */
async function saveDestinations(
  ctx: Pick<CoreContext, 'secrets'>,
  id: string,
  copies: DestinationConfig[],
  before: DestinationConfig[],
): Promise<DestinationConfig[]> {
  for (const old of before) {
    if (!copies.some((d) => d.id === old.id)) await ctx.secrets.delete(secretKeys.destSecret(id, old.id));
  }
  return Promise.all(
    copies.map(async (dest) => {
      const hasSecret = dest.kind !== 'local' && isKeychainRef(dest.secretFrom) && (await ctx.secrets.get(secretKeys.destSecret(id, dest.id))) !== null;
      const old = before.find((d) => d.id === dest.id);
      if (dest.kind === 'sftp' && dest.hostKey && old?.kind === 'sftp' && old.hostKey === dest.hostKey && (old.host !== dest.host || old.port !== dest.port)) {
        const { hostKey: _dropped, ...rest } = dest;
        return { ...rest, hasSecret };
      }
      return { ...dest, hasSecret };
    }),
  );
}

/** Creates (no id) or updates a plan; NOT_FOUND for an unknown id, PASSPHRASE_REQUIRED, VALIDATION. */
export async function savePlan(ctx: PlanSaveContext, request: SaveRequest, actor: string): Promise<Plan> {
  const { plan } = request;
  const id = plan.id ?? randomUUID();
  const existing = plan.id ? ctx.plans.get(plan.id) : undefined;
  if (plan.id && !existing) throw new AppError('NOT_FOUND', { detail: `plan ${plan.id}` });
  validateSchedule(plan.schedule, plan.timezone);
  await storeSecrets(ctx, id, request);
  // a passphrase named by env:/file: is read where the plan runs, not kept here
  if (plan.options.encrypt && isKeychainRef(plan.options.passphraseFrom) && !(await ctx.secrets.get(secretKeys.passphrase(id)))) {
    throw new AppError('PASSPHRASE_REQUIRED', { detail: 'set a passphrase for this encrypted plan' });
  }
  const databases = await Promise.all(
    plan.databases.map(async (db) => ({
      ...db,
      hasPassword: isKeychainRef(db.passwordFrom) && (await ctx.secrets.get(secretKeys.dbPassword(id, db.id))) !== null,
    })),
  );
  const drillKey = secretKeys.drillPassword(id);
  const drill = plan.options.drillServer;
  const drillServer = drill && { ...drill, hasPassword: isKeychainRef(drill.passwordFrom) && (await ctx.secrets.get(drillKey)) !== null };
  const copies = await saveDestinations(ctx, id, plan.options.copies, existing?.options.copies ?? []);
  const saved = ctx.plans.upsert(id, { ...plan, id, databases, options: { ...plan.options, drillServer, copies } }, ctx.clock.now().toISOString());
  ctx.audit.record(actor, existing ? 'plan.update' : 'plan.create', id, { name: saved.name });
  ctx.events.emit('plans/changed', { planId: id });
  return saved;
}

/** Deletes a plan and every secret it kept; PLAN_BUSY while it runs. Its backups stay. */
export async function deletePlan(ctx: PlanSaveContext & Pick<CoreContext, 'runner'>, id: string, actor: string): Promise<boolean> {
  const plan = ctx.plans.get(id);
  if (!plan) throw new AppError('NOT_FOUND', { detail: `plan ${id}` });
  if (ctx.runner.isPlanActive(id)) throw new AppError('PLAN_BUSY');
  for (const db of plan.databases) await ctx.secrets.delete(secretKeys.dbPassword(id, db.id));
  await ctx.secrets.delete(secretKeys.passphrase(id));
  await ctx.secrets.delete(secretKeys.drillPassword(id));
  for (const dest of plan.options.copies) await ctx.secrets.delete(secretKeys.destSecret(id, dest.id));
  const deleted = ctx.plans.delete(id);
  ctx.audit.record(actor, 'plan.delete', id, { name: plan.name });
  ctx.events.emit('plans/changed', { planId: id });
  return deleted;
}
