/** The API process: connects to Temporal and the database, then serves HTTP. */
import { loadConfig } from '../config';
import { connectDatabase, disconnectDatabase, pingDatabase } from '../db/connection';
import { initModels } from '../db/models';
import { logger } from '../logging';
import { connectClient, payloadCodec } from '../temporal/connection';
import { ApiKeys, assertSafeToListen } from './auth';
import { ApiMetrics } from './metrics';
import { createApp } from './app';
import { Runs } from './runs';
import { syncBuiltinSchedulesAtStart } from '../schedules/startup';
import { resumePendingComments } from '../domain/recovery';

async function main(): Promise<void> {
  const config = loadConfig();
  assertSafeToListen(config.api.host, config.security.devMode);
  const client = await connectClient(config);
  await connectDatabase(config.mongodbUri);
  // The unique indexes (user email, comment request key) must exist before a write relies on them.
  await initModels();
  const apiKeys = new ApiKeys({ file: config.security.apiKeysFile, inline: config.security.apiKeysInline });
  const app = createApp({ config, client, runs: new Runs(client, config), pingDatabase, apiKeys, metrics: new ApiMetrics(), codec: payloadCodec(config) });
  const server = app.listen(config.api.port, config.api.host, () => {
    const access = config.security.devMode
      ? 'development mode: no API keys checked'
      : `${apiKeys.size} API key(s)${apiKeys.size === 0 ? ': every request but /health, /ready and /docs answers 401' : ''}`;
    logger().info(`api listening on http://${config.api.host}:${config.api.port} (docs at /docs; ${access})`);
  });
  // Built-in schedules (src/schedules/builtin.ts) match the code after every start; in the background.
  void syncBuiltinSchedulesAtStart(client, config, 'api');
  void resumePendingComments(client).catch((error: unknown) => logger().error({ err: error }, 'could not resume pending comments'));
  const shutdown = () => {
    // Stop accepting, let in-flight requests finish, then close the connections.
    logger().info('api stopping: no new connections, finishing requests in flight');
    apiKeys.close();
    server.close(async () => {
      await disconnectDatabase().catch(() => undefined);
      await client.connection.close().catch(() => undefined);
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error) => {
  logger().fatal({ err: error }, 'api failed to start');
  process.exit(1);
});
