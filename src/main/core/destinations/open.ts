/**
 * Opens the Destination a config names (shared/destination.ts), with its secret already read
 * from the keychain (or its env:/file: reference) by the caller.
 */
import type { DestinationConfig } from '../../../shared/destination';
import { openAzureDestination } from './azure';
import type { Destination } from './destination';
import { LocalDestination } from './local';
import { openS3Destination } from './s3';
import { openSftpDestination } from './sftp';

export interface OpenDestinationOptions {
  /**
   * The destination's secret: the S3 secret access key (credentials 'keychain'), the Azure
   * account key or SAS token, the SFTP password or private key passphrase. Never logged.
   */
  secret?: string | null;
  /** how long a request may stall (no byte moving) before it fails with DEST_UNREACHABLE; default 30 s */
  timeoutMs?: number;
  /** SFTP: a fingerprint (SHA256:...) the user accepted for a host with no pinned key */
  acceptHostKey?: string;
  /** SFTP: a known_hosts file to check host keys against when the config pins none (the command line's) */
  knownHostsFile?: string;
  /** SFTP: the private key file when the config names none (the command line's --ssh-key) */
  privateKeyFile?: string;
  /** SFTP: use the ssh agent at this socket when no key file or password is given (the command line's SSH_AUTH_SOCK) */
  agentSocket?: string;
}

// kept in destination.ts so the implementations can use it without an import circle through this file
export { DEFAULT_DESTINATION_TIMEOUT_MS } from './destination';

export async function openDestination(config: DestinationConfig, options: OpenDestinationOptions = {}): Promise<Destination> {
  switch (config.kind) {
    case 'local':
      return LocalDestination.fromConfig(config);
    case 's3':
      return openS3Destination(config, options);
    case 'azure':
      return openAzureDestination(config, options);
    case 'sftp':
      return openSftpDestination(config, options);
  }
}
