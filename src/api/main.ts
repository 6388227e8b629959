/**
 * The API process: connects to Temporal, then serves HTTP; the database connects in the
 * background. The API starts and stays up without the database: routes that need it
 * answer 503 with Retry-After until it answers (see ./availability), the rest work.
 */
import { loadConfig } from '../config';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { API_DATABASE_USE, connectDatabase, databaseConnected, disconnectDatabase, pingDatabase } from '../db/mongo';
import { initModels } from '../app/models';
import { logger } from '../logging';
import { connectClient, payloadCodec } from '../temporal/clients';
import { ApiKeys, assertSafeToListen } from '../http/auth';
import { ensureFirstKey } from './first-key';
import { ApiMetrics } from '../http/metrics';
import { createApp } from './app';
import { Runs } from './runs';
import { syncBuiltinSchedulesAtStart } from '../schedules/startup';
import { resumePendingComments } from '../app/comments/recovery';
import { startTracing } from '../telemetry/start';

/** How long an idle keep-alive connection stays open (see where the server is made). */
const API_KEEP_ALIVE_MS = 65_000;

async function main(): Promise<void> {
  const config = loadConfig();
  assertSafeToListen(config.api.host, config.security.devMode);
  // Before the client and the app are made: they take their interceptor and middleware from it.
  const tracing = await startTracing(config, 'orchestra-api');
  const client = await connectTemporal(config);
  // Database routes open once the unique indexes (user email, comment request key) exist:
  // a write must not run before the index that makes it safe.
  let modelsReady = false;
  void prepareDatabase(config, client).then(() => (modelsReady = true));
  const databaseAvailable = () => modelsReady && databaseConnected();
  const { apiKeysFile, firstKeyFile, devMode } = config.security;
  if (!devMode && apiKeysFile && firstKeyFile && ensureFirstKey(apiKeysFile, firstKeyFile)) {
    logger().warn(
      `no API keys were configured: made a first admin key. Read it from ${firstKeyFile} (docker compose exec api cat ${firstKeyFile}), ` +
        `make the keys you need in ${apiKeysFile}, then delete ${firstKeyFile}; ${apiKeysFile} holds only its SHA-256`,
    );
  }
  const apiKeys = new ApiKeys({ file: config.security.apiKeysFile, inline: config.security.apiKeysInline });
  const app = createApp({
    config,
    client,
    runs: new Runs(client, config),
    pingDatabase,
    databaseAvailable,
    apiKeys,
    metrics: new ApiMetrics(),
    codec: payloadCodec(config),
  });
  const server = app.listen(config.api.port, config.api.host, () => {
    const access = config.security.devMode
      ? 'development mode: no API keys checked'
      : `${apiKeys.size} API key(s)${apiKeys.size === 0 ? ': every request but /health, /ready and /docs answers 401' : ''}`;
    logger().info(`api listening on http://${config.api.host}:${config.api.port} (docs at /docs; ${access})`);
  });
  // An idle keep-alive connection is closed by the server after Node's 5 s by default; a client
  // reusing it at that moment gets "other side closed" with no answer (seen in CI between two
  // test files). 65 s outlasts the idle gaps of clients and of proxies (whose own idle timeout
  // must be below the upstream's), and each answer's `Keep-Alive: timeout=65` tells clients when
  // to close first. Headers must be allowed to take longer than an idle connection lives.
  server.keepAliveTimeout = API_KEEP_ALIVE_MS;
  server.headersTimeout = API_KEEP_ALIVE_MS + 1000;
  // Built-in schedules (src/schedules/builtin.ts) match the code after every start; in the background.
  void syncBuiltinSchedulesAtStart(client, config, 'api');
  const shutdown = () => {
    // Stop accepting, let in-flight requests finish, then close the connections.
    logger().info('api stopping: no new connections, finishing requests in flight');
    apiKeys.close();
    server.close(async () => {
      await disconnectDatabase().catch(() => undefined);
      await client.connection.close().catch(() => undefined);
      await tracing?.shutdown().catch(() => undefined);
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

/** Temporal must answer before the API serves (every route but a few needs it); retried, never fatal. */
async function connectTemporal(config: Config): Promise<Client> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectClient(config);
    } catch (error) {
      const delayMs = Math.min(10_000, 500 * 2 ** (attempt - 1));
      logger().warn({ err: error, attempt }, `Temporal at ${config.temporal.address} not reachable; trying again in ${delayMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/** Connects (retrying until the database answers), builds the indexes, then resumes comments a crash left without a run. */
async function prepareDatabase(config: Config, client: Client): Promise<void> {
  const retrying = (error: Error, delayMs: number) =>
    logger().warn({ err: error }, `database not reachable; routes that need it answer 503; trying again in ${delayMs} ms`);
  await connectDatabase(config.mongodbUri, retrying, API_DATABASE_USE);
  for (let attempt = 1; ; attempt++) {
    try {
      await initModels();
      break;
    } catch (error) {
      logger().warn({ err: error, attempt }, 'could not create the indexes yet; trying again');
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 500 * 2 ** attempt)));
    }
  }
  logger().info('database connected');
  void resumePendingComments(client).catch((error: unknown) => logger().error({ err: error }, 'could not resume pending comments'));
}

main().catch((error) => {
  logger().fatal({ err: error }, 'api failed to start');
  process.exit(1);
});
