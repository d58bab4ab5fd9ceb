/** Azure destination: being written (stub until then). */
import type { AzureDestinationConfig } from '../../../shared/destination';
import { AppError } from '../../../shared/errors';
import type { Destination } from './destination';
import type { OpenDestinationOptions } from './open';

export async function openAzureDestination(_config: AzureDestinationConfig, _options: OpenDestinationOptions): Promise<Destination> {
  throw new AppError('DEST_FAILED', { detail: 'not implemented yet' });
}
