/**
 * What the engine's jobs and handlers work with: the catalog's repositories, the event bus, the
 * job runner and the ports the shell or the CLI passes in. Each task and handler factory takes
 * `Pick<CoreContext, ...>` of what it uses, never the whole core, so that the layers read
 * lifeboat -> handlers -> tasks -> backup/restore/verify -> catalog/crypto/archive/postgres.
 */
import type { AuditRepo } from './catalog/audit-repo';
import type { CatalogDb } from './catalog/catalog';
import type { JobsRepo } from './catalog/jobs-repo';
import type { PlansRepo } from './catalog/plans-repo';
import type { ImportedBackupsRepo, RestoresRepo } from './catalog/restores-repo';
import type { SettingsRepo } from './catalog/settings-repo';
import type { VerificationsRepo } from './catalog/verifications-repo';
import type { KdfSetting } from './crypto/keys';
import type { JobRunner } from './jobs/job-runner';
import type { Clock, EventBus, Notifier, SecretStore } from './ports';

/** Tests and benchmarks only: container chunk size and KDF cost. */
export interface ContainerOptions {
  chunkSize?: number;
  kdf?: KdfSetting;
}

export interface CoreContext {
  readonly dataDir: string;
  readonly appVersion: string;
  readonly catalog: CatalogDb;
  readonly plans: PlansRepo;
  readonly jobs: JobsRepo;
  readonly audit: AuditRepo;
  readonly verifications: VerificationsRepo;
  readonly restores: RestoresRepo;
  readonly importedBackups: ImportedBackupsRepo;
  readonly settings: SettingsRepo;
  readonly events: EventBus;
  readonly runner: JobRunner;
  readonly secrets: SecretStore;
  readonly notifier: Notifier;
  readonly clock: Clock;
  readonly containerOptions?: ContainerOptions;
}

/** Options the CLI and tests pass to jobs: tool discovery and the child processes' environment. */
export interface JobEnvOptions {
  env?: NodeJS.ProcessEnv;
  pgToolDirs?: readonly string[];
}
