/**
 * Structured JSON logs (pino) for the API and every worker; pretty when
 * ORCHESTRA_LOG_PRETTY=true (what `npm start` sets). One logger per process, with
 * child loggers carrying request, workflow, run, activity and attempt ids.
 */
import pino, { type Logger } from 'pino';

let root: Logger | undefined;

export function logger(): Logger {
  root ??= pino({
    level: process.env.LOG_LEVEL || 'info',
    base: { service: process.env.ORCHESTRA_SERVICE || 'orchestra', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(process.env.ORCHESTRA_LOG_PRETTY === 'true'
      ? { transport: { target: 'pino-pretty', options: { colorize: true, singleLine: true, ignore: 'pid,hostname' } } }
      : {}),
  });
  return root;
}
