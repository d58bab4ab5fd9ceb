/**
 * Vitest global setup of the integration project: one message naming every missing prerequisite
 * (PostgreSQL server and client tools, OpenSSH's sshd for the SFTP destination) before any file
 * starts a cluster, instead of one cluster error per file.
 */
import { exitIfTestDepsMissing } from '../support/test-deps.mjs';

export default function setup(): void {
  exitIfTestDepsMissing(['pg', 'sshd']);
}
