/** Types of test-deps.mjs (plain JS so that scripts/check-test-deps.mjs runs without a build step). */

export type TestNeed = 'pg' | 'chromium' | 'zstd' | 'sshd';

export interface MissingTestDep {
  /** what is missing, for the message */
  what: string;
  /** which install fixes it */
  fix: 'node' | 'pg' | 'chromium' | 'zstd' | 'sshd';
}

export const MIN_NODE: string;
export const DEFAULT_CHROMIUM: string;
export const PG_SERVER_TOOLS: readonly string[];
export const PG_CLIENT_TOOLS: readonly string[];
export const NEEDS: readonly TestNeed[];
/** OpenSSH's server binary the SFTP tests start. */
export const SSHD: string;

/** The browser the e2e tests launch: LIFEBOAT_CHROMIUM, else Debian's chromium. */
export function chromiumPath(env?: NodeJS.ProcessEnv): string;
/** LIFEBOAT_TEST_PG_BIN, else the newest /usr/lib/postgresql/<major>/bin with initdb; null when none. */
export function findPgServerBinDir(env?: NodeJS.ProcessEnv): string | null;
export function isExecutableFile(file: string): boolean;
export function findMissingTestDeps(options?: {
  needs?: readonly TestNeed[];
  env?: NodeJS.ProcessEnv;
  nodeVersion?: string;
  isRoot?: boolean;
}): MissingTestDep[];
export function formatMissingTestDeps(missing: readonly MissingTestDep[], options?: { isRoot?: boolean }): string;
/** Writes the one message to stderr and exits 1 when something `needs` asks for is missing. */
export function exitIfTestDepsMissing(needs?: readonly TestNeed[]): void;
