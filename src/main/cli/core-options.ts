import type { CoreOptions } from '../core/lifeboat';
import { resolveDataDir } from '../core/paths';

/**
 * What every command (the daemon too) takes from the environment for the core: the data folder
 * (LIFEBOAT_HOME, else the app's), and the SQLite build for the runtime it runs under (the
 * installed app's `lifeboat` runs under its Electron and passes that ABI's build).
 */
export function cliCoreOptions(env: NodeJS.ProcessEnv): Pick<CoreOptions, 'dataDir' | 'nativeBinding'> {
  return { dataDir: resolveDataDir(null, env), nativeBinding: env.LIFEBOAT_NATIVE_BINDING || undefined };
}
