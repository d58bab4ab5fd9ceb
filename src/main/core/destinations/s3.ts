/** S3 destination: being written (stub until then). */
import type { S3DestinationConfig } from '../../../shared/destination';
import { AppError } from '../../../shared/errors';
import type { Destination } from './destination';
import type { OpenDestinationOptions } from './open';

export async function openS3Destination(_config: S3DestinationConfig, _options: OpenDestinationOptions): Promise<Destination> {
  throw new AppError('DEST_FAILED', { detail: 'not implemented yet' });
}
