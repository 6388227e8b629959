/** Runs the SMTP sink as its own process: SMTP_SINK_PORT, SMTP_SINK_HTTP_PORT, SMTP_SINK_DIR. */
import path from 'node:path';
import { loadConfig } from '../config';
import { startSmtpSink } from './smtp-sink';

async function main(): Promise<void> {
  const config = loadConfig();
  const smtpPort = Number(process.env.SMTP_SINK_PORT ?? 2525);
  const httpPort = Number(process.env.SMTP_SINK_HTTP_PORT ?? 8025);
  const dir = process.env.SMTP_SINK_DIR ?? path.join(config.dataDir, 'mail');
  const sink = await startSmtpSink({ dir, smtpPort, httpPort });
  console.log(`smtp sink on 127.0.0.1:${smtpPort}, inbox at http://127.0.0.1:${httpPort}`);
  const stop = () => void sink.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
