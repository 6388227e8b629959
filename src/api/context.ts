/** What the API's routes share: configuration, the Temporal client, the runs reader, auth and metrics. */
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Config } from '../config';
import type { ApiKeys } from './auth';
import type { ApiMetrics } from './http-metrics';
import type { Runs } from './runs';

export interface AppContext {
  config: Config;
  client: Client;
  runs: Runs;
  /** Resolves when the database answers a ping; rejects otherwise. */
  pingDatabase: () => Promise<void>;
  /**
   * Whether the database connection is up right now; when given, routes that need the
   * database answer 503 at once while it is not (see ./availability).
   */
  databaseAvailable?: () => boolean;
  apiKeys: ApiKeys;
  metrics: ApiMetrics;
  /** The payload codec when encryption is on (for /codec). */
  codec?: PayloadCodec;
}
