/** Sftp destination: being written (stub until then). */
import type { SftpDestinationConfig } from '../../../shared/destination';
import { AppError } from '../../../shared/errors';
import type { Destination } from './destination';
import type { OpenDestinationOptions } from './open';

export async function openSftpDestination(_config: SftpDestinationConfig, _options: OpenDestinationOptions): Promise<Destination> {
  throw new AppError('DEST_FAILED', { detail: 'not implemented yet' });
}
