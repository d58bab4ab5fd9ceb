import { runCli } from './index';

// the entry point bin/lifeboat.mjs loads: real process streams and exit code
const code = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(text.startsWith('\r') ? text : `${text}\n`),
  env: process.env,
  isTty: Boolean(process.stderr.isTTY),
});
process.exitCode = code;
