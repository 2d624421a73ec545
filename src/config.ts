import { z } from 'zod';

/**
 * Configuration comes from the environment only, validated once at start.
 * A bad value stops the start with a message that names the variable.
 */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL');

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_READ_URL: postgresUrl.optional(),
  /** A privileged connection for migrations; the service itself may then log in as a plain role (DATABASE_URL). */
  DATABASE_MIGRATION_URL: postgresUrl.optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5000),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  REGISTRY_ADMIN_TOKEN: z
    .string()
    .min(32, 'must be at least 32 characters')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  PUBLIC_BASE_URL: z.string().url().regex(/\/v1$/, 'must end in /v1').default('https://localhost:3000/v1'),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(10_485_760).default(1_048_576),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(600),
  IDEMPOTENCY_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(24),
  STATISTICS_SUPPRESSION_THRESHOLD: z.coerce.number().int().min(1).max(1000).default(5),
  /** How long an authenticated token is trusted without asking the database again (0: never). */
  AUTH_CACHE_TTL_MS: z.coerce.number().int().min(0).max(300_000).default(10_000),
  /** After a client writes, its reads go to the primary for this long (read-your-own-writes). */
  READ_YOUR_WRITES_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** `production` turns the first-start hints off (unless REGISTRY_FIRST_START_HINTS says otherwise). */
  NODE_ENV: z.string().min(1).optional(),
  /**
   * On the embedded database: a bootstrap admin with a random token when none exists and no
   * REGISTRY_ADMIN_TOKEN is set, and a few human-readable lines on stderr (never on PostgreSQL).
   * Unset: on, unless NODE_ENV=production. See firstStartHints().
   */
  REGISTRY_FIRST_START_HINTS: z.stringbool().optional(),
});

export type Config = z.infer<typeof envSchema>;

/** Empty strings count as unset, so `FOO= npm start` behaves like no FOO at all. */
function withoutEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(withoutEmpty(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** Whether a first start on the embedded database may create an admin and print the next steps for a person. */
export const firstStartHints = (c: Pick<Config, 'NODE_ENV' | 'REGISTRY_FIRST_START_HINTS'>): boolean =>
  c.REGISTRY_FIRST_START_HINTS ?? c.NODE_ENV !== 'production';

/** The variables the service reads, for the README table and the docker-compose test. */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape) as (keyof Config)[];
