import { runCli } from './index';

/**
 * A writer to one of the process's streams that stops writing at the stream's first error. A
 * reader that went away (`lifeboat list | head -1`: EPIPE) or a terminal that closed (EIO) ends
 * what can be shown, not the command: no stack trace, and the exit code stays the command's own.
 */
function streamWriter(stream: NodeJS.WriteStream): (text: string) => void {
  let closed = false;
  stream.on('error', () => {
    closed = true;
  });
  return (text) => {
    if (closed || stream.destroyed) return;
    stream.write(text);
  };
}

// The AWS SDK warns once on Node < 22 that its releases after January 2027 will need Node 22. The
// CLI supports Node >= 20.15 with the SDK version the lockfile pins, so the warning would only
// clutter every s3:// command's stderr with something the user cannot act on.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const writeOut = streamWriter(process.stdout);
const writeErr = streamWriter(process.stderr);

// the entry point bin/lifeboat.mjs loads: real process streams and exit code
const code = await runCli(process.argv.slice(2), {
  out: (text) => writeOut(`${text}\n`),
  err: (text) => writeErr(text.startsWith('\r') ? text : `${text}\n`),
  env: process.env,
  isTty: Boolean(process.stderr.isTTY),
});
process.exitCode = code;
