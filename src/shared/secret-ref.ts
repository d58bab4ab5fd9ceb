/** A reference to a secret kept outside the keychain; shared by plans and destinations. */
import { z } from 'zod';

/**
 * Where a secret of a plan comes from when the app's keychain does not hold it: `env:NAME` (a
 * variable of the environment of the process that runs the plan), `file:/absolute/path` (the
 * first line of a file only its owner can read), or `keychain` (the app's keychain, as when the
 * field is absent). The plan keeps the reference, never the value; the `lifeboat` command
 * resolves env: and file: each time it runs the plan, the app shows them read-only.
 */
export const secretRefSchema = z
  .string()
  .max(4096)
  .regex(/^(keychain|env:[A-Za-z_][A-Za-z0-9_]*|file:(\/|[A-Za-z]:[\\/]|\\\\).*)$/, 'Use keychain, env:NAME or file:/absolute/path');
export type SecretRef = z.infer<typeof secretRefSchema>;
