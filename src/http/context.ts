/** What every route gets from the composition root (../api/app.ts): configuration, the Temporal client, auth and metrics. */
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Config } from '../config';
import type { ApiKeys } from './auth';
import type { ApiMetrics } from './metrics';

export interface HttpContext {
  config: Config;
  client: Client;
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
