/**
 * Opens the Destination a config names (shared/destination.ts), with its secret already read
 * from the keychain (or its env:/file: reference) by the caller.
 */
import type { DestinationConfig } from '../../../shared/destination';
import { openAzureDestination } from './azure';
import type { Destination, OpenDestinationOptions } from './destination';
import { LocalDestination } from './local';
import { openS3Destination } from './s3';
import { openSftpDestination } from './sftp';


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

export type { OpenDestinationOptions } from './destination';
