/**
 * The version the CLI build (scripts/build-cli.mjs) wrote into the bundle, from package.json:
 * the bundle lives at out/cli/ (or inside the installed app's app.asar), where no package.json
 * sits at the relative path the sources read. null when running from the TypeScript sources.
 */
declare const __LIFEBOAT_VERSION__: string | undefined;

export const BUILT_VERSION: string | null = typeof __LIFEBOAT_VERSION__ === 'string' ? __LIFEBOAT_VERSION__ : null;
