/** What the API's routes share: configuration, the Temporal client, the runs reader. */
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Runs } from './runs';

export interface AppContext {
  config: Config;
  client: Client;
  runs: Runs;
  /** Resolves when the database answers a ping; rejects otherwise. */
  pingDatabase: () => Promise<void>;
}
