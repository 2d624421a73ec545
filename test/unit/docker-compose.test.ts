import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { CONFIG_VARIABLES } from '../../src/config.js';

type Service = {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  environment?: Record<string, string> | string[];
  depends_on?: unknown;
  command?: string;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test?: string[] | string };
  restart?: string;
};
const root = path.resolve(import.meta.dirname, '../..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };

const envOf = (s: Service): Record<string, string> =>
  Array.isArray(s.environment)
    ? Object.fromEntries(s.environment.map((e) => [e.split('=')[0], e.split('=').slice(1).join('=')]))
    : Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)]));

/** `${NAME:?message}`: compose refuses to start while NAME is unset. */
const required = (value: string | undefined, name: string) => new RegExp(`^\\$\\{${name}:\\?[^}]+\\}$`).test(value ?? '');

t.test('docker-compose: the service on PostgreSQL as a plain role, migrations as the owner, no default secrets', async (t) => {
  const registry = compose.services.registry;
  const postgres = compose.services.postgres;
  t.ok(registry, 'a service named registry');
  t.ok(postgres, 'a service named postgres');
  if (!registry || !postgres) return;
  t.match(postgres.image, /^postgres:1[5-9]/, 'PostgreSQL 15 or later');
  const db = envOf(postgres);
  const env = envOf(registry);
  const unknown = Object.keys(env).filter((k) => !(CONFIG_VARIABLES as string[]).includes(k));
  t.same(unknown, [], 'every variable the service is given is one the service reads');

  const service = new URL(env.DATABASE_URL?.replace(/\$\{[^}]+\}/g, 'secret') ?? 'x:');
  const migrations = new URL(env.DATABASE_MIGRATION_URL?.replace(/\$\{[^}]+\}/g, 'secret') ?? 'x:');
  t.equal(service.hostname, 'postgres', 'the service uses the compose database');
  t.equal(service.pathname, `/${db.POSTGRES_DB}`, 'at its database');
  t.not(service.username, db.POSTGRES_USER, 'the service does not log in as the database owner (a superuser in the image)');
  t.equal(migrations.username, db.POSTGRES_USER, 'migrations run as the owner');
  t.equal(migrations.pathname, `/${db.POSTGRES_DB}`);

  const script = postgres.volumes?.find((v) => v.includes('docker-entrypoint-initdb.d'));
  t.ok(script, 'an init script creates the service role when the volume is new');
  const text = readFileSync(path.join(root, (script ?? '').split(':')[0] ?? ''), 'utf8');
  t.match(text, new RegExp(`CREATE ROLE ${service.username} LOGIN NOSUPERUSER`), 'as a login role that is no superuser');
  const attributes = (/CREATE ROLE \S+ (.*?) PASSWORD/.exec(text)?.[1] ?? '').split(/\s+/);
  t.same(
    attributes.filter((a) => a !== 'LOGIN' && !a.startsWith('NO')),
    [],
    `its attributes (${attributes.join(' ')}) grant nothing beyond logging in`,
  );
  t.notMatch(text, /GRANT /, 'and the script grants it nothing (the migrations make it a member of registry_app)');

  t.ok(required(db.POSTGRES_PASSWORD, 'POSTGRES_PASSWORD'), 'the owner password has no default');
  t.ok(required(db.REGISTRY_SERVICE_PASSWORD, 'REGISTRY_SERVICE_PASSWORD'), 'the service password has no default');
  t.match(
    env.REGISTRY_ADMIN_TOKEN ?? '',
    /^\$\{REGISTRY_ADMIN_TOKEN:\?/,
    'the admin token has no default: compose refuses to start without one',
  );
  t.match(
    env.AUDIT_SIGNING_KEY ?? '',
    /^\$\{AUDIT_SIGNING_KEY:\?/,
    'the audit signing key has no default either: without one, checkpoints would be off (an operator’s review found them off)',
  );
  t.same(postgres.ports ?? [], [], 'PostgreSQL is not published on the host');
  t.match(JSON.stringify(registry.depends_on), /service_healthy/, 'the service starts after the database is healthy');
  t.match(
    [postgres.healthcheck?.test ?? []].flat().join(' '),
    /pg_isready -h 127\.0\.0\.1 /,
    'healthy means reachable over TCP: the image’s temporary init-time server listens on its socket only',
  );
  t.match(registry.restart ?? '', /^(on-failure|unless-stopped|always)/, 'a start the database refused is tried again');
  t.match(env.HOST, /^0\.0\.0\.0$/, 'listens beyond the container');
});

t.test('docker-compose: the service runs the image built from the Dockerfile, not the checkout', async (t) => {
  const registry = compose.services.registry;
  if (!registry) return t.fail('a service named registry');
  const context = typeof registry.build === 'string' ? registry.build : registry.build?.context;
  t.equal(context, '.', 'built from this folder');
  const dockerfile = typeof registry.build === 'object' ? (registry.build.dockerfile ?? 'Dockerfile') : 'Dockerfile';
  t.equal(dockerfile, 'Dockerfile', 'with the Dockerfile (test/unit/dockerfile.test.ts checks it)');
  t.notMatch(registry.image ?? '', /^node:/, 'not a bare Node image');
  t.equal(registry.command, undefined, 'the image’s own command: no npm ci or build at container start');
  t.notOk(
    (registry.volumes ?? []).some((v) => /^\.{1,2}(\/|:)/.test(v)),
    'the checkout is not mounted (nothing is written into it as root)',
  );
  const env = envOf(registry);
  for (const [name, value] of Object.entries(env)) {
    t.notMatch(value, /\$\{[A-Z_]+:-/, `${name} has no fallback value`);
  }
  const published = (registry.ports ?? []).map(String);
  t.ok(
    published.every((p) => p.startsWith('127.0.0.1:')),
    'the service (and its metrics port) are published on the host’s loopback only',
  );
});
