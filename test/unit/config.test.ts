import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { CONFIG_VARIABLES, ConfigError, firstStartHints, loadConfig } from '../../src/config.js';
import { notificationsFor } from '../../src/notifications-config.js';

/** The ConfigError message for this environment, or undefined when it is accepted. */
const errorOf = (env: Record<string, string>): string | undefined => {
  try {
    loadConfig(env);
    return undefined;
  } catch (err) {
    return err instanceof ConfigError ? err.message : `not a ConfigError: ${String(err)}`;
  }
};

t.test('config: defaults', async (t) => {
  const c = loadConfig({});
  t.equal(c.PORT, 3000);
  t.equal(c.HOST, '127.0.0.1');
  t.equal(c.DATA_DIR, './data');
  t.equal(c.DATABASE_URL, undefined);
  t.equal(c.DATABASE_READ_URL, undefined);
  t.equal(c.REGISTRY_ADMIN_TOKEN, undefined);
  t.equal(c.LOG_LEVEL, 'info');
  t.equal(c.BODY_LIMIT_BYTES, 1_048_576);
  t.match(c.PUBLIC_BASE_URL, /\/v1$/);
  t.equal(c.IMPORT_BATCH_SIZE, 100, 'imports in batches of 100 on the embedded database, whose one connection a batch holds');
  t.equal(loadConfig({ DATABASE_URL: 'postgres://localhost/registry' }).IMPORT_BATCH_SIZE, 500, 'and of 500 on PostgreSQL');
  t.equal(loadConfig({ IMPORT_BATCH_SIZE: '20' }).IMPORT_BATCH_SIZE, 20, 'unless set');
  t.same(
    CONFIG_VARIABLES.filter((v) => c[v] === undefined),
    [
      'DATABASE_URL',
      'DATABASE_READ_URL',
      'DATABASE_MIGRATION_URL',
      'DATABASE_WRITE_CONCURRENCY',
      'REGISTRY_ADMIN_TOKEN',
      'AUDIT_SIGNING_KEY',
      'AUDIT_SIGNING_KEY_FILE',
      'NOTIFICATIONS_HTTP_HOSTS',
      'NOTIFICATIONS_PRIVATE_NETWORKS',
      'METRICS_PORT',
      'RETENTION_ENFORCEMENT_ACTION_YEARS',
      'RETENTION_LICENCE_YEARS',
      'RETENTION_ESTABLISHMENT_YEARS',
      'RETENTION_SELECTION_LIST',
      'NODE_ENV',
      'REGISTRY_FIRST_START_HINTS',
      'OIDC_ISSUER',
      'OIDC_AUDIENCE',
      'OIDC_ISSUERS',
    ],
    'these, and only these, are unset unless set; every other variable has a default',
  );
  t.same(loadConfig({ PORT: '', LOG_LEVEL: '' }), loadConfig({}), 'empty strings count as unset');
  t.same(loadConfig({ UNRELATED: 'x' }), loadConfig({}), 'other variables are ignored');
});

t.test('config: values are parsed', async (t) => {
  const c = loadConfig({
    PORT: '8080',
    DATABASE_URL: 'postgres://u:p@db:5432/registry',
    DATABASE_READ_URL: 'postgresql://u:p@replica/registry',
    REGISTRY_ADMIN_TOKEN: 'a'.repeat(32),
    LOG_LEVEL: 'debug',
    BODY_LIMIT_BYTES: '4096',
  });
  t.equal(c.PORT, 8080);
  t.equal(c.DATABASE_URL, 'postgres://u:p@db:5432/registry');
  t.equal(c.DATABASE_READ_URL, 'postgresql://u:p@replica/registry');
  t.equal(c.LOG_LEVEL, 'debug');
  t.equal(c.BODY_LIMIT_BYTES, 4096);
  t.equal(loadConfig({ PORT: '0' }).PORT, 0, 'port 0: any free port');
});

t.test('config: bad values stop the start, naming the variable', async (t) => {
  t.match(errorOf({ PORT: 'abc' }), /\bPORT\b/, 'refused, naming PORT');
  t.match(errorOf({ PORT: '70000' }), /\bPORT\b/, 'refused, naming PORT');
  t.match(errorOf({ PORT: '3000.5' }), /\bPORT\b/, 'refused, naming PORT');
  t.match(errorOf({ REGISTRY_ADMIN_TOKEN: 'too-short' }), /\bREGISTRY_ADMIN_TOKEN\b/, 'refused, naming REGISTRY_ADMIN_TOKEN');
  t.match(
    errorOf({ REGISTRY_ADMIN_TOKEN: `${'a'.repeat(30)} with space` }),
    /\bREGISTRY_ADMIN_TOKEN\b/,
    'refused, naming REGISTRY_ADMIN_TOKEN',
  );
  t.match(errorOf({ DATABASE_URL: 'mysql://localhost/db' }), /\bDATABASE_URL\b/, 'refused, naming DATABASE_URL');
  t.match(errorOf({ DATABASE_URL: 'localhost:5432' }), /\bDATABASE_URL\b/, 'refused, naming DATABASE_URL');
  t.match(errorOf({ DATABASE_READ_URL: 'http://replica' }), /\bDATABASE_READ_URL\b/, 'refused, naming DATABASE_READ_URL');
  t.match(errorOf({ LOG_LEVEL: 'verbose' }), /\bLOG_LEVEL\b/, 'refused, naming LOG_LEVEL');
  t.match(errorOf({ PUBLIC_BASE_URL: 'https://example.nl/api' }), /\bPUBLIC_BASE_URL\b/, 'refused, naming PUBLIC_BASE_URL');
  t.match(errorOf({ BODY_LIMIT_BYTES: '10' }), /\bBODY_LIMIT_BYTES\b/, 'refused, naming BODY_LIMIT_BYTES');
  t.match(errorOf({ DATABASE_POOL_SIZE: '0' }), /\bDATABASE_POOL_SIZE\b/, 'refused, naming DATABASE_POOL_SIZE');
  t.match(errorOf({ SHUTDOWN_GRACE_MS: 'soon' }), /\bSHUTDOWN_GRACE_MS\b/, 'refused, naming SHUTDOWN_GRACE_MS');
  // A postgres:// URL that is no URL would otherwise fail only when the pool connects: exit 1, unnamed.
  for (const url of ['postgres://u:p@db:99999/registry', 'postgres://u:p@[db/registry']) {
    const message = errorOf({ DATABASE_URL: url, DATABASE_READ_URL: url, DATABASE_MIGRATION_URL: url }) ?? '';
    for (const name of ['DATABASE_URL', 'DATABASE_READ_URL', 'DATABASE_MIGRATION_URL']) {
      t.match(message, new RegExp(`\\b${name}\\b`), `${url}: refused, naming ${name}`);
    }
  }
  for (const url of ['postgres://u:p%20w@db:5432/registry', 'postgres://u:p w@db/registry', 'postgresql://u@/registry?host=/run/pg']) {
    t.equal(loadConfig({ DATABASE_URL: url }).DATABASE_URL, url, `${url}: accepted, as pg reads it`);
  }
  // Whole numbers are decimal digits: a blank, hex or exponent is a mistake, not 0, 80 or 1000
  // (a blank RATE_LIMIT_PER_MINUTE would have turned the limit off, a blank PORT picked a random one).
  for (const [name, value] of [
    ['PORT', ' '],
    ['PORT', '0x50'],
    ['PORT', '1e3'],
    ['RATE_LIMIT_PER_MINUTE', ' '],
    ['AUTH_FAILURES_PER_MINUTE', '\t'],
    ['DATABASE_POOL_SIZE', '+5'],
  ] as const) {
    t.match(errorOf({ [name]: value }), new RegExp(`\\b${name}\\b`), `${name}=${JSON.stringify(value)}: refused, naming it`);
  }
  t.equal(loadConfig({ PORT: '0' }).PORT, 0, 'PORT=0 still picks a free port');
  // A replica or migration URL without DATABASE_URL: PostgreSQL was meant, not the embedded database.
  for (const name of ['DATABASE_READ_URL', 'DATABASE_MIGRATION_URL']) {
    t.match(errorOf({ [name]: 'postgres://u@db/registry' }), new RegExp(`\\b${name}\\b.*\\bDATABASE_URL\\b`), `${name} alone: refused`);
  }
  // Several bad values: all are named.
  try {
    loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud' });
    t.fail('should throw');
  } catch (err) {
    t.match((err as Error).message, /PORT/);
    t.match((err as Error).message, /LOG_LEVEL/);
  }
});

t.test('config: NOTIFICATIONS_PRIVATE_NETWORKS is all, none or CIDR ranges inside private space', async (t) => {
  // Unset stays unset (the start warns on PostgreSQL); the services read it as all, so existing deployments keep working.
  t.equal(loadConfig({}).NOTIFICATIONS_PRIVATE_NETWORKS, undefined, 'unset by default');
  t.equal(notificationsFor(loadConfig({})).notifications?.privateNetworks, 'all', 'which the services read as all');
  t.equal(loadConfig({ NOTIFICATIONS_PRIVATE_NETWORKS: 'ALL' }).NOTIFICATIONS_PRIVATE_NETWORKS, 'all');
  t.same(loadConfig({ NOTIFICATIONS_PRIVATE_NETWORKS: 'none' }).NOTIFICATIONS_PRIVATE_NETWORKS, [], 'none: no range');
  t.same(loadConfig({ NOTIFICATIONS_PRIVATE_NETWORKS: '10.20.0.0/16, FD12:3456::/32,127.0.0.0/8' }).NOTIFICATIONS_PRIVATE_NETWORKS, [
    { address: '10.20.0.0', prefix: 16, type: 'ipv4' },
    { address: 'fd12:3456::', prefix: 32, type: 'ipv6' },
    { address: '127.0.0.0', prefix: 8, type: 'ipv4' },
  ]);
  for (const [value, why] of [
    ['10.0.0.0', /range 1 must be a range in CIDR notation/],
    ['10.0.0.0/8,10.300.0.0/16', /range 2 must be a range in CIDR notation/],
    ['10.0.0.0/33', /range 1 has a prefix longer than an IPv4 address/],
    ['fd00::/129', /range 1 has a prefix longer than an IPv6 address/],
    ['10.0.0.0/8,', /range 2 must be a range/],
    ['8.8.8.0/24', /range 1 is not inside private or loopback address space/],
    ['10.0.0.0/7', /range 1 is not inside private/],
    ['some', /range 1 must be a range/],
  ] as const) {
    const message = errorOf({ NOTIFICATIONS_PRIVATE_NETWORKS: value }) ?? '';
    t.match(message, /NOTIFICATIONS_PRIVATE_NETWORKS: /, `${value}: refused, naming the variable`);
    t.match(message, why, `${value}: saying what is wrong`);
  }
});

t.test('config: NOTIFICATIONS_SOURCE is a URN or an https URL in URI characters, naming the sender, not a location', async (t) => {
  for (const good of [
    'urn:nld:oin:00000001823288444000:systeem:handhavingsregister',
    'urn:nld:gemeente-Bergen%20%28L%29.handhavingsregister',
    'https://handhavingsregister.example.nl',
    'https://example.nl/registers/handhaving',
  ])
    t.equal(errorOf({ NOTIFICATIONS_SOURCE: good }), undefined, good);
  for (const bad of [
    'urn:nld:a{b}<c>"d', // characters a URI may not hold
    'urn:nld:gemeente Bergen', // a space
    'urn:nld:x%2', // a broken percent-encoding
    'https://example.nl/data?x=1', // a query: a location to fetch from
    'https://example.nl/#events', // a fragment
    'http://example.nl', // not https
    'urn:nld:', // an empty name
    'handhavingsregister',
  ])
    t.match(errorOf({ NOTIFICATIONS_SOURCE: bad }), /NOTIFICATIONS_SOURCE: must be a URN \(urn:nld:…\) or an https URL/, bad);
});

t.test('config: an identity provider is trusted over https only, or plain http to this machine', async (t) => {
  const single = (issuer: string) => errorOf({ OIDC_ISSUER: issuer, OIDC_AUDIENCE: 'registry' });
  const several = (entry: Record<string, string>) => errorOf({ OIDC_ISSUERS: JSON.stringify([{ audience: 'registry', ...entry }]) });
  for (const good of [
    'https://login.gemeente.nl/realms/handhaving',
    'http://127.0.0.1:8080/realm',
    'http://localhost:8080',
    'http://[::1]:8080',
  ]) {
    t.equal(single(good), undefined, good);
    t.equal(several({ issuer: good }), undefined, `${good} in OIDC_ISSUERS`);
  }
  for (const bad of [
    'http://login.gemeente.nl/realms/handhaving',
    'http://10.0.0.5:8080',
    'ftp://login.gemeente.nl',
    'javascript:alert(1)',
    // Over the network, though they may lead back to loopback: NAT64, 6to4, a name DNS answers for.
    'http://[64:ff9b::127.0.0.1]',
    'http://[2002:7f00:1::1]',
    'http://idp.localhost:8080',
    'http://localhost.:8080',
  ]) {
    t.match(
      single(bad),
      /OIDC_ISSUER: must be an https URL \(plain http only to this machine: localhost, 127\.0\.0\.0\/8 or \[::1\]\)/,
      bad,
    );
    t.match(several({ issuer: bad }), /OIDC_ISSUERS.*issuer.*must be an https URL/s, `${bad} in OIDC_ISSUERS`);
  }
  t.match(
    several({ issuer: 'https://login.gemeente.nl', discoveryUrl: 'http://login.gemeente.nl/.well-known/openid-configuration' }),
    /discoveryUrl.*must be an https URL/s,
    'a discovery document over plain http',
  );
});

t.test('config: first-start hints are on by default, off in production or when switched off', async (t) => {
  t.equal(firstStartHints(loadConfig({})), true, 'on for someone trying it out');
  t.equal(firstStartHints(loadConfig({ NODE_ENV: 'production' })), false, 'off with NODE_ENV=production');
  t.equal(firstStartHints(loadConfig({ REGISTRY_FIRST_START_HINTS: 'false' })), false, 'off when switched off');
  t.equal(firstStartHints(loadConfig({ NODE_ENV: 'production', REGISTRY_FIRST_START_HINTS: 'true' })), true, 'the switch wins');
  t.match(errorOf({ REGISTRY_FIRST_START_HINTS: 'maybe' }), /\bREGISTRY_FIRST_START_HINTS\b/, 'refused, naming it');
});

t.test('config: the README documents every variable with its default', async (t) => {
  const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
  const defaults = loadConfig({}) as Record<string, unknown>;
  for (const v of CONFIG_VARIABLES) {
    const row = readme.split('\n').find((l) => l.split('|')[1]?.trim() === `\`${v}\``);
    t.ok(row, `${v} has a row in the configuration table`);
    const shown = defaults[v] === undefined ? '(unset)' : `\`${String(defaults[v])}\``;
    t.equal(row?.split('|')[2]?.trim(), shown, `${v}: the documented default is the real one`);
  }
});

t.test('config: secrets from files (*_FILE), and errors never print a value', async (t) => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(path.join(tmpdir(), 'er-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const token = `file-token-${'x'.repeat(30)}`;
  writeFileSync(path.join(dir, 'token'), `${token}\n`);
  writeFileSync(path.join(dir, 'url'), 'postgres://svc:s3cr3t-pw@db:5432/registry\n');
  const c = loadConfig({ REGISTRY_ADMIN_TOKEN_FILE: path.join(dir, 'token'), DATABASE_URL_FILE: path.join(dir, 'url') });
  t.equal(c.REGISTRY_ADMIN_TOKEN, token, 'the token from its file, the trailing newline dropped');
  t.equal(c.DATABASE_URL, 'postgres://svc:s3cr3t-pw@db:5432/registry', 'the URL from its file');
  t.match(
    errorOf({ REGISTRY_ADMIN_TOKEN_FILE: path.join(dir, 'missing') }),
    /REGISTRY_ADMIN_TOKEN_FILE: cannot read/,
    'an unreadable file names the variable',
  );
  t.match(
    errorOf({ REGISTRY_ADMIN_TOKEN: token, REGISTRY_ADMIN_TOKEN_FILE: path.join(dir, 'token') }),
    /either REGISTRY_ADMIN_TOKEN or REGISTRY_ADMIN_TOKEN_FILE/,
    'both set: refused',
  );
  t.match(
    errorOf({ AUDIT_SIGNING_KEY: 'pem', AUDIT_SIGNING_KEY_FILE: path.join(dir, 'token') }),
    /AUDIT_SIGNING_KEY_FILE: set either AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE, not both/,
    'the audit signing key too: not one silently winning over the other',
  );
  writeFileSync(path.join(dir, 'short'), 'short-secret-value\n');
  const fromFile = errorOf({ REGISTRY_ADMIN_TOKEN_FILE: path.join(dir, 'short') });
  t.match(fromFile, /\bREGISTRY_ADMIN_TOKEN\b/, 'a bad secret from a file names the variable');
  t.notMatch(fromFile, /short-secret-value/, 'and does not print it');

  // Every variable given a bad value that could be a secret: the message names each, prints none.
  const secret = 'Sup3rS3cret-Value';
  const bad: Record<string, string> = {
    REGISTRY_ADMIN_TOKEN: secret,
    DATABASE_URL: `mysql://u:${secret}@h/db`,
    DATABASE_READ_URL: `http://u:${secret}@h/db`,
    DATABASE_MIGRATION_URL: `mongodb://u:${secret}@h/db`,
    LOG_LEVEL: secret,
    PORT: secret,
    PUBLIC_BASE_URL: secret,
    RATE_LIMIT_STORE: secret,
    OTEL_TRACES_EXPORTER: secret,
    METRICS_PORT: secret,
    RETENTION_ENFORCEMENT_ACTION_YEARS: secret,
  };
  const message = errorOf(bad) ?? '';
  for (const name of Object.keys(bad)) t.match(message, new RegExp(`\\b${name}\\b`), `names ${name}`);
  t.notMatch(message, new RegExp(secret), 'prints none of the values');
});
