/**
 * Structured JSON logs (pino) on stderr. Fields by convention: `cluster`, `type`, `key`,
 * `controller`. Never log credentials or Secret data. Level from KUBEFED_LOG_LEVEL (default info).
 */
import { pino, type Logger } from 'pino';

export type { Logger };

let root: Logger | undefined;

export function rootLogger(): Logger {
  root ??= pino(
    {
      level: process.env.KUBEFED_LOG_LEVEL ?? 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['token', '*.token', 'authorization', '*.authorization', 'bearerToken', '*.bearerToken'],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: 2, sync: false }),
  );
  return root;
}

/** A child logger with fixed fields, e.g. `logger({ controller: 'sync', cluster: 'cluster2' })`. */
export function logger(fields: Record<string, string>): Logger {
  return rootLogger().child(fields);
}
