/**
 * The benchmark's S3 server (s3rver, test/support/s3-server.ts) in a process of its own, so that
 * the remote section can run it at a lower CPU priority: on this 2-core machine the emulator's own
 * work (JavaScript HTTP handling, writing the parts, joining them at the end) would otherwise be
 * counted against the backup it receives, where a real S3 does that work on other machines.
 * Prints one JSON line with its endpoint and credentials; stops when its stdin closes.
 */
import { startS3Server } from '../test/support/s3-server';

const s3 = await startS3Server({ buckets: ['bench'] });
process.stdout.write(
  `${JSON.stringify({ endpoint: s3.endpoint, port: s3.port, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey })}\n`,
);
process.stdin.resume();
process.stdin.on('end', () => {
  void s3.close().finally(() => process.exit(0));
});
