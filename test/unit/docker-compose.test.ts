import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { CONFIG_VARIABLES } from '../../src/config.js';

type Service = { image?: string; environment?: Record<string, string> | string[]; depends_on?: unknown; command?: string };
const compose = parse(readFileSync(path.resolve(import.meta.dirname, '../../docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
};

const envOf = (s: Service): Record<string, string> =>
  Array.isArray(s.environment)
    ? Object.fromEntries(s.environment.map((e) => [e.split('=')[0], e.split('=').slice(1).join('=')]))
    : Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)]));

t.test('docker-compose: names the service and a PostgreSQL database it uses', async (t) => {
  const registry = compose.services.registry;
  const postgres = compose.services.postgres;
  t.ok(registry, 'a service named registry');
  t.ok(postgres, 'a service named postgres');
  if (!registry || !postgres) return;
  t.match(postgres.image, /^postgres:1[5-9]/, 'PostgreSQL 15 or later');
  const db = envOf(postgres);
  t.ok(db.POSTGRES_DB, 'the database is named');

  const env = envOf(registry);
  const unknown = Object.keys(env).filter((k) => !(CONFIG_VARIABLES as string[]).includes(k));
  t.same(unknown, [], 'every variable the service is given is one the service reads');
  t.ok(env.DATABASE_URL, 'the service is pointed at PostgreSQL');
  const url = new URL(env.DATABASE_URL as string);
  t.match(url.protocol, /^postgres(ql)?:$/);
  t.equal(url.hostname, 'postgres', 'at the compose database service');
  t.equal(url.pathname, `/${db.POSTGRES_DB}`, 'at its database');
  t.equal(decodeURIComponent(url.username), db.POSTGRES_USER ?? 'postgres', 'as its user');
  if (db.POSTGRES_PASSWORD) t.equal(decodeURIComponent(url.password), db.POSTGRES_PASSWORD, 'with its password');
  t.match(JSON.stringify(registry.depends_on), /postgres/, 'starts after the database');
  t.match(env.HOST, /^0\.0\.0\.0$/, 'listens beyond the container');
  const admin = env.REGISTRY_ADMIN_TOKEN?.replace(/^\$\{[A-Z_]+:-(.*)\}$/, '$1') ?? '';
  t.ok(admin.length >= 32, 'the default admin token is long enough to pass validation');
});
