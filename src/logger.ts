import pino, { type Logger } from 'pino';

/** Paths that must never reach the log: tokens in any form. */
const REDACT_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
  'REGISTRY_ADMIN_TOKEN',
  '*.REGISTRY_ADMIN_TOKEN',
  'DATABASE_URL',
  'DATABASE_READ_URL',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      base: { service: 'enforcement-registry' },
    },
    destination,
  );
}
