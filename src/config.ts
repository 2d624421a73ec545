import { readFileSync } from 'node:fs';
import pg from 'pg';
import { z } from 'zod';
import { ROLES } from './domain/codes.js';
import { type Cidr, isHttpsOrLoopback, type PrivateNetworks, parseInternalCidr } from './lib/networks.js';

/** The CloudEvents `source` when NOTIFICATIONS_SOURCE is not set: an installation should name itself (with its OIN). */
export const DEFAULT_NOTIFICATIONS_SOURCE = 'urn:nld:enforcement-registry';

/**
 * Configuration comes from the environment only, validated once at start.
 * A bad value stops the start with a message that names the variable.
 */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** pg's own reading of a connection string (no connection is made): what fails here would fail only when the pool connects. */
const readableByPg = (url: string): boolean => {
  try {
    new pg.Client({ connectionString: url });
    return true;
  } catch {
    return false;
  }
};

const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
  .refine(readableByPg, 'is not a valid URL (host, port 0-65535, percent-encoding)');

/**
 * A whole number from the environment (a string there), between min and max inclusive. Decimal
 * digits only: Number() would read a blank as 0 (RATE_LIMIT_PER_MINUTE off, a random PORT), and
 * hex or an exponent as something else than the operator meant.
 */
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^[0-9]+$/, 'must be a whole number (decimal digits only)')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** An identity provider's URL: https, or http to this machine only (lib/networks.ts). */
const providerUrl = z
  .string()
  .url()
  .refine(isHttpsOrLoopback, 'must be an https URL (plain http only to this machine: localhost, 127.0.0.0/8 or [::1])');

/** One trusted OpenID Connect issuer (OIDC_ISSUERS); docs/identity-providers.md explains each field. */
const oidcIssuer = z.strictObject({
  issuer: providerUrl,
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  roleClaim: z.string().min(1).default('roles'),
  municipalityClaim: z.string().min(1).default('municipality_code'),
  roleMap: z.record(z.string(), z.enum(ROLES)).optional(),
  municipalityCode: z
    .string()
    .regex(/^GM[0-9]{4}$/)
    .optional(),
  discoveryUrl: providerUrl.optional(),
  jwksCooldownMs: z.number().int().min(0).max(600_000).optional(),
  jwksMaxAgeMs: z.number().int().min(100).max(86_400_000).optional(),
});
export type OidcIssuerConfig = z.infer<typeof oidcIssuer>;

const jsonList = z
  .string()
  .transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array of issuers' });
      return z.NEVER;
    }
  })
  .pipe(z.array(oidcIssuer).min(1).max(20));

const envSchema = z.object({
  PORT: wholeNumber(0, 65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_READ_URL: postgresUrl.optional(),
  /** A privileged connection for migrations; the service itself may then log in as a plain role (DATABASE_URL). */
  DATABASE_MIGRATION_URL: postgresUrl.optional(),
  DATABASE_POOL_SIZE: wholeNumber(1, 200).default(20),
  /** Write transactions let in at once (the rest wait in order); unset: twice this machine's cores. */
  DATABASE_WRITE_CONCURRENCY: wholeNumber(1, 200).optional(),
  DATABASE_CONNECT_TIMEOUT_MS: wholeNumber(100, 120_000).default(5000),
  DATABASE_STATEMENT_TIMEOUT_MS: wholeNumber(100, 600_000).default(30_000),
  REGISTRY_ADMIN_TOKEN: z
    .string()
    .min(32, 'must be at least 32 characters')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** Default: what the quick start serves, http://127.0.0.1:PORT/v1 (so the docs page's "Try it out" reaches it). */
  PUBLIC_BASE_URL: z.string().url().regex(/\/v1$/, 'must end in /v1').optional(),
  BODY_LIMIT_BYTES: wholeNumber(1024, 10_485_760).default(1_048_576),
  /** How long a whole request, headers and body, may take to arrive (then 408 and the connection closes); imports too. The headers alone get at most 60 s. */
  REQUEST_TIMEOUT_MS: wholeNumber(1000, 3_600_000).default(300_000),
  RATE_LIMIT_PER_MINUTE: wholeNumber(0, 1_000_000).default(600),
  IDEMPOTENCY_TTL_HOURS: wholeNumber(1, 24 * 30).default(24),
  STATISTICS_SUPPRESSION_THRESHOLD: wholeNumber(1, 1000).default(5),
  /** How long an authenticated token is trusted without asking the database again (0: never). */
  AUTH_CACHE_TTL_MS: wholeNumber(0, 300_000).default(10_000),
  /** How long a token the database did not know is refused without asking it again (0: never). */
  AUTH_UNKNOWN_TOKEN_TTL_MS: wholeNumber(0, 300_000).default(30_000),
  /** Failed authentications (malformed or unknown tokens) per source address per minute before 429 (0: no limit). */
  AUTH_FAILURES_PER_MINUTE: wholeNumber(0, 1_000_000).default(30),
  /** How long an address over that limit waits for its 429 (0: answered at once). */
  AUTH_FAILURE_DELAY_MS: wholeNumber(0, 10_000).default(1000),
  /** After a client writes, its reads go to the primary for this long (read-your-own-writes). */
  READ_YOUR_WRITES_MS: wholeNumber(0, 600_000).default(5_000),
  /** Ed25519 private key (PKCS#8 PEM) that signs audit checkpoints; or a file holding it. */
  AUDIT_SIGNING_KEY: z.string().min(1).optional(),
  AUDIT_SIGNING_KEY_FILE: z.string().min(1).optional(),
  /** How often the chain head is signed (when it moved); 0: only on demand. */
  AUDIT_CHECKPOINT_INTERVAL_S: wholeNumber(0, 604_800).default(3600),
  SHUTDOWN_GRACE_MS: wholeNumber(100, 120_000).default(10_000),
  // Bulk import and export: docs/import-export.md#configuration
  /** The largest import file (bytes); a larger upload is a 413. */
  IMPORT_BODY_LIMIT_BYTES: wholeNumber(1024, 2_147_483_647).default(209_715_200),
  /** Whether this process runs queued imports (several instances share the work safely). */
  IMPORT_WORKER: z.enum(['on', 'off']).default('on'),
  /**
   * Records per transaction while an import is applied. Default: 500 on PostgreSQL; 100 on the
   * embedded database, whose one connection a batch holds (requests wait a batch, not five seconds).
   */
  IMPORT_BATCH_SIZE: wholeNumber(1, 10_000).optional(),
  /** How long a stopped instance's claim on an import holds before another resumes it. */
  IMPORT_LEASE_MS: wholeNumber(100, 3_600_000).default(30_000),
  // Notifications (webhooks): docs/notifications.md#configuration
  NOTIFICATIONS_DISPATCH: z.enum(['on', 'off']).default('on'),
  NOTIFICATIONS_SOURCE: z
    .string()
    // RFC 3986's characters only (% encodes the rest), and no query or fragment: the profile asks for a
    // URI-reference that names the sender, not a location to fetch data from.
    .regex(
      /^(urn:[a-z0-9][a-z0-9-]{0,31}:|https:\/\/)([A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})+$/i,
      'must be a URN (urn:nld:…) or an https URL, in URI characters (RFC 3986: encode others with %), without a query or fragment',
    )
    .default(DEFAULT_NOTIFICATIONS_SOURCE),
  NOTIFICATIONS_HTTP_HOSTS: z
    .string()
    .regex(/^[A-Za-z0-9.:\-[\]]+(,[A-Za-z0-9.:\-[\]]+)*$/, 'must be a comma-separated list of host names')
    .transform((v) =>
      v
        .toLowerCase()
        .split(',')
        .map((h) => h.replace(/^\[|\]$/g, '')),
    )
    .optional(),
  /** Which private-network (and loopback) addresses callbacks may reach: `all`, `none`, or a comma list of CIDR ranges. */
  NOTIFICATIONS_PRIVATE_NETWORKS: z
    .string()
    .transform((v, ctx): PrivateNetworks => {
      const value = v.trim().toLowerCase();
      if (value === 'all') return 'all';
      if (value === 'none') return [];
      const ranges: Cidr[] = [];
      for (const [i, item] of value.split(',').entries()) {
        const range = parseInternalCidr(item.trim());
        // The position, not the value: configuration errors never quote what was set.
        if (typeof range === 'string') ctx.addIssue({ code: 'custom', message: `range ${i + 1} ${range} (or set all, or none)` });
        else ranges.push(range);
      }
      return ranges;
    })
    // Unset: all, as before this setting existed, with a warning at every start on PostgreSQL (server.ts).
    .optional(),
  /** How often an idle dispatcher looks for new events: the usual delay between a commit and its delivery. */
  NOTIFICATIONS_POLL_MS: wholeNumber(10, 60_000).default(1000),
  /** The first retry's wait; it doubles with each attempt (with jitter), up to an hour. */
  NOTIFICATIONS_BACKOFF_BASE_MS: wholeNumber(10, 3_600_000).default(5000),
  /** A delivery failing this long is given up and its subscription disabled. */
  NOTIFICATIONS_GIVE_UP_AFTER_MS: wholeNumber(100, 7 * 86_400_000).default(3 * 86_400_000),
  /** Connect timeout of one call to a receiver. */
  NOTIFICATIONS_CONNECT_TIMEOUT_MS: wholeNumber(50, 60_000).default(5000),
  /** Time for a receiver's whole answer (read up to 64 KiB). */
  NOTIFICATIONS_RESPONSE_TIMEOUT_MS: wholeNumber(50, 120_000).default(10_000),
  /** Days a finished delivery (its attempt log too) and a fanned-out event are kept; 0 keeps them for good. */
  NOTIFICATIONS_KEEP_DAYS: wholeNumber(0, 36_500).default(90),
  /** Prometheus metrics on their own port (unset: no metrics listener). Keep it off the public network. */
  METRICS_PORT: wholeNumber(0, 65535).optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** Where rate-limit counts live: `auto` is PostgreSQL when DATABASE_URL is set (shared by every instance), else memory. */
  RATE_LIMIT_STORE: z.enum(['auto', 'memory', 'postgres']).default('auto'),
  /** OpenTelemetry traces: `none` (off), `otlp` (OTEL_EXPORTER_OTLP_* variables) or `console`. */
  OTEL_TRACES_EXPORTER: z.enum(['none', 'otlp', 'console']).default('none'),
  /** Retention periods (Archiefwet) in whole years, per record type, from the municipality's selection list; unset: kept. */
  RETENTION_ENFORCEMENT_ACTION_YEARS: wholeNumber(1, 200).optional(),
  RETENTION_LICENCE_YEARS: wholeNumber(1, 200).optional(),
  RETENTION_ESTABLISHMENT_YEARS: wholeNumber(1, 200).optional(),
  /** Which selection list (and version) the periods come from: recorded in every destruction entry. */
  // No default: a destruction records the list its period comes from, so retention:destroy refuses to run without it.
  RETENTION_SELECTION_LIST: z.string().min(1).max(200).optional(),
  /** `production` turns the first-start hints off (unless REGISTRY_FIRST_START_HINTS says otherwise). */
  NODE_ENV: z.string().min(1).optional(),
  /**
   * On the embedded database: a bootstrap admin with a random token when none exists and no
   * REGISTRY_ADMIN_TOKEN is set, and a few human-readable lines on stderr (never on PostgreSQL).
   * Unset: on, unless NODE_ENV=production. See firstStartHints().
   */
  REGISTRY_FIRST_START_HINTS: z.stringbool().optional(),
  /** One trusted OpenID Connect issuer (its exact `iss`); with OIDC_AUDIENCE. */
  OIDC_ISSUER: providerUrl.optional(),
  OIDC_AUDIENCE: z.string().min(1).optional(),
  OIDC_ROLE_CLAIM: z.string().min(1).default('roles'),
  OIDC_MUNICIPALITY_CLAIM: z.string().min(1).default('municipality_code'),
  /** Several issuers, or more settings per issuer: a JSON array (docs/identity-providers.md). */
  OIDC_ISSUERS: jsonList.optional(),
  /** Allowed clock skew for exp, nbf and iat of a JWT. */
  OIDC_CLOCK_TOLERANCE_S: wholeNumber(0, 300).default(30),
  /**
   * The oldest a JWT may be (since its iat), whatever its exp says: a token from an identity provider
   * cannot be revoked here, so one issued for years (a misconfigured client, a leaked token) would be
   * good for years.
   */
  OIDC_MAX_TOKEN_AGE_S: wholeNumber(60, 2_592_000).default(86_400),
});

export type Config = Omit<z.infer<typeof envSchema>, 'PUBLIC_BASE_URL' | 'IMPORT_BATCH_SIZE'> & {
  PUBLIC_BASE_URL: string;
  IMPORT_BATCH_SIZE: number;
};

/** Empty strings count as unset, so `FOO= npm start` behaves like no FOO at all. */
function withoutEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

export class ConfigError extends Error {}

/**
 * For the command-line tools: the configuration, or null after saying on stderr what is wrong with it
 * and setting exit code 78 (EX_CONFIG, as the service uses).
 */
export function loadConfigOrExitCode(): Config | null {
  try {
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 78;
    return null;
  }
}

/** Secrets that may also be given as a file (`NAME_FILE=/run/secrets/…`), as Docker and Kubernetes secrets are mounted. */
export const SECRET_VARIABLES = ['REGISTRY_ADMIN_TOKEN', 'DATABASE_URL', 'DATABASE_READ_URL', 'DATABASE_MIGRATION_URL'] as const;

/**
 * Replaces each `NAME_FILE` by `NAME` with the file's content (one trailing newline dropped).
 * Problems name the variable and the path, never the content.
 */
function withSecretFiles(env: Record<string, string>): { env: Record<string, string>; problems: string[] } {
  const out = { ...env };
  const problems: string[] = [];
  for (const name of SECRET_VARIABLES) {
    const file = env[`${name}_FILE`];
    if (file === undefined) continue;
    delete out[`${name}_FILE`];
    if (env[name] !== undefined) {
      problems.push(`  ${name}_FILE: set either ${name} or ${name}_FILE, not both`);
      continue;
    }
    try {
      const content = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      if (content !== '') out[name] = content;
    } catch (err) {
      problems.push(`  ${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return { env: out, problems };
}

/**
 * The message of one invalid value: the variable and what is wrong, never the value itself (it may
 * be a secret, and error output ends up in logs). zod's own messages do not quote the input.
 */
const describeIssue = (i: z.core.$ZodIssue) => `  ${i.path.join('.')}: ${i.message}`;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const { env: resolved, problems } = withSecretFiles(withoutEmpty(env));
  const parsed = envSchema.safeParse(resolved);
  const lines = [...problems, ...(parsed.success ? [] : parsed.error.issues.map(describeIssue))];
  if (lines.length > 0 || !parsed.success) throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  const c = parsed.data;
  if (Boolean(c.OIDC_ISSUER) !== Boolean(c.OIDC_AUDIENCE)) {
    throw new ConfigError('Invalid configuration:\n  OIDC_ISSUER, OIDC_AUDIENCE: set both or neither');
  }
  // As for the secrets above: two sources of one key is a mistake to name, not a precedence to guess.
  if (c.AUDIT_SIGNING_KEY && c.AUDIT_SIGNING_KEY_FILE) {
    throw new ConfigError(
      'Invalid configuration:\n  AUDIT_SIGNING_KEY_FILE: set either AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE, not both',
    );
  }
  // Without DATABASE_URL the embedded database in DATA_DIR is opened: a replica or a migration URL
  // beside it means PostgreSQL was meant, and would be ignored while an embedded database was made.
  const withoutPrimary = (['DATABASE_READ_URL', 'DATABASE_MIGRATION_URL'] as const).filter((name) => c[name] && !c.DATABASE_URL);
  if (withoutPrimary.length > 0) {
    throw new ConfigError(
      `Invalid configuration:\n  ${withoutPrimary.join(', ')}: set DATABASE_URL too (without it the service uses the embedded database in DATA_DIR)`,
    );
  }
  return {
    ...c,
    PUBLIC_BASE_URL: c.PUBLIC_BASE_URL ?? `http://127.0.0.1:${c.PORT || 3000}/v1`,
    IMPORT_BATCH_SIZE: c.IMPORT_BATCH_SIZE ?? (c.DATABASE_URL ? 500 : 100),
  };
}

/** Every trusted issuer: OIDC_ISSUER (with the OIDC_*_CLAIM settings) and those of OIDC_ISSUERS. */
export function trustedIssuers(
  c: Partial<Pick<Config, 'OIDC_ISSUER' | 'OIDC_AUDIENCE' | 'OIDC_ROLE_CLAIM' | 'OIDC_MUNICIPALITY_CLAIM' | 'OIDC_ISSUERS'>>,
): OidcIssuerConfig[] {
  const single =
    c.OIDC_ISSUER && c.OIDC_AUDIENCE
      ? [
          {
            issuer: c.OIDC_ISSUER,
            audience: c.OIDC_AUDIENCE,
            roleClaim: c.OIDC_ROLE_CLAIM ?? 'roles',
            municipalityClaim: c.OIDC_MUNICIPALITY_CLAIM ?? 'municipality_code',
          },
        ]
      : [];
  return [...single, ...(c.OIDC_ISSUERS ?? [])];
}

/** Whether a first start on the embedded database may create an admin and print the next steps for a person. */
export const firstStartHints = (c: Pick<Config, 'NODE_ENV' | 'REGISTRY_FIRST_START_HINTS'>): boolean =>
  c.REGISTRY_FIRST_START_HINTS ?? c.NODE_ENV !== 'production';

/** The variables the service reads, for the README table and the docker-compose test. */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape) as (keyof Config)[];
