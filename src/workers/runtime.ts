/**
 * The Temporal SDK runtime of a worker process: its logs go through pino (structured,
 * with workflow id, run id, activity type and attempt from the SDK's own metadata), and
 * its Prometheus metrics (schedule-to-start latency, failures, slots) are served on
 * the pool's metrics address.
 */
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import { logger } from '../logging';

export function installRuntime(metricsAddress: string | undefined): void {
  const log = logger();
  const forward = ({ level, message, meta }: LogEntry) => {
    const fields = meta ?? {};
    if (level === 'ERROR') log.error(fields, message);
    else if (level === 'WARN') log.warn(fields, message);
    else if (level === 'INFO') log.info(fields, message);
    else log.debug(fields, message);
  };
  Runtime.install({
    logger: new DefaultLogger((process.env.TEMPORAL_LOG_LEVEL as 'INFO' | undefined) ?? 'INFO', forward),
    telemetryOptions: metricsAddress ? { metrics: { prometheus: { bindAddress: metricsAddress } } } : undefined,
  });
}
