/** The API process: connects to Temporal and the database, then serves HTTP. */
import { loadConfig } from '../config';
import { connectDatabase, disconnectDatabase, pingDatabase } from '../db/connection';
import { connectClient } from '../temporal/connection';
import { createApp } from './app';
import { Runs } from './runs';

async function main(): Promise<void> {
  const config = loadConfig();
  const client = await connectClient(config);
  await connectDatabase(config.mongodbUri);
  const app = createApp({ config, client, runs: new Runs(client, config), pingDatabase });
  const server = app.listen(config.api.port, config.api.host, () => {
    console.log(`api listening on http://${config.api.host}:${config.api.port} (docs at /docs)`);
  });
  const shutdown = () => {
    // Stop accepting, let in-flight requests finish, then close the connections.
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
  console.error(error);
  process.exit(1);
});
