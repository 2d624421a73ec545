/**
 * `npm run bench:auth-flood`: how much a flood of bad tokens slows a legitimate client (issue 11, finding 8).
 *
 * Starts the built service twice: once with the failure limit and the unknown-token cache off
 * (AUTH_FAILURES_PER_MINUTE=0, AUTH_UNKNOWN_TOKEN_TTL_MS=0: the behaviour before the fix) and once
 * with the defaults. Each time it measures one legitimate officer's p50 latency for
 * GET /v1/establishments on one keep-alive connection from 127.0.0.2, first alone, then while
 * FLOOD_CONNECTIONS (32) connections from 127.0.0.1 (another process) send a fresh random token
 * with every request.
 * Prints p50 alone, p50 under the flood and their ratio, per configuration.
 *
 * Environment: DATABASE_URL (admin URL of a local PostgreSQL: a scratch database is created and
 * dropped; unset: the embedded database in a temporary folder), FLOOD_SECONDS (per measurement,
 * default 5), FLOOD_CONNECTIONS (32).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { scratchDatabase } from '../test/support/scratch-database.js';
import { percentile } from './bench/load.js';
import { startService } from './bench/service.js';

const SECONDS = Number(process.env.FLOOD_SECONDS ?? 5);
const FLOOD = Number(process.env.FLOOD_CONNECTIONS ?? 32);
const ADMIN_TOKEN = `flood-admin-${'x'.repeat(32)}`;

interface Loop {
  latencies: number[];
  statuses: Map<number, number>;
}

/** `connections` closed loops from `localAddress` until `stop()` resolves; latency per request in ms. */
function loop(base: string, localAddress: string, connections: number, headers: () => Record<string, string>) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, localAddress });
  const url = new URL(base);
  const out: Loop = { latencies: [], statuses: new Map() };
  let running = true;
  const one = () =>
    new Promise<void>((resolve) => {
      const t0 = performance.now();
      const req = http.request({ agent, host: url.hostname, port: url.port, path: '/v1/establishments', headers: headers() }, (res) => {
        res.resume();
        res.on('end', () => {
          out.latencies.push(performance.now() - t0);
          out.statuses.set(res.statusCode ?? 0, (out.statuses.get(res.statusCode ?? 0) ?? 0) + 1);
          resolve();
        });
      });
      req.on('error', () => resolve());
      req.end();
    });
  const workers = Array.from({ length: connections }, async () => {
    while (running) await one();
  });
  return {
    out,
    async stop() {
      running = false;
      await Promise.all(workers);
      agent.destroy();
      return out;
    },
  };
}

/**
 * The flood runs in a process of its own (plain JavaScript for `node -e`), so that its event loop
 * does not delay the legitimate client's measurements in this one. It prints its status counts when
 * it receives SIGTERM.
 */
const FLOOD_SCRIPT = `
const http = require('node:http'); const { randomBytes } = require('node:crypto');
const [base, connections] = [process.argv[1], Number(process.argv[2])];
const url = new URL(base); const agent = new http.Agent({ keepAlive: true, maxSockets: connections, localAddress: '127.0.0.1' });
const counts = {}; let running = true;
process.on('SIGTERM', () => { running = false; setTimeout(() => { process.stdout.write(JSON.stringify(counts)); process.exit(0); }, 200); });
const one = () => new Promise((resolve) => {
  const req = http.request({ agent, host: url.hostname, port: url.port, path: '/v1/establishments',
    headers: { authorization: 'Bearer er_' + randomBytes(32).toString('base64url') } }, (res) => {
    res.resume(); res.on('end', () => { counts[res.statusCode] = (counts[res.statusCode] || 0) + 1; resolve(); }); });
  req.on('error', () => resolve()); req.end(); });
for (let i = 0; i < connections; i++) (async () => { while (running) await one(); })();
`;

function startFlood(base: string, connections: number) {
  const child = spawn(process.execPath, ['-e', FLOOD_SCRIPT, base, String(connections)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  return {
    stop: () =>
      new Promise<string>((resolve) => {
        child.once('exit', () => {
          const counts = JSON.parse(out || '{}') as Record<string, number>;
          resolve(
            Object.entries(counts)
              .map(([s, n]) => `${s}×${n}`)
              .join(' '),
          );
        });
        child.kill('SIGTERM');
      }),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const p50 = (l: Loop) =>
  percentile(
    [...l.latencies].sort((a, b) => a - b),
    50,
  );
const statuses = (l: Loop) => [...l.statuses].map(([s, n]) => `${s}×${n}`).join(' ');

async function measure(label: string, env: Record<string, string>) {
  const service = await startService({ ...env, REGISTRY_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'warn' });
  try {
    const created = await fetch(`${service.baseUrl}/v1/api-clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'flood bench officer', role: 'officer', municipalityCode: 'GM0363' }),
    });
    const { token } = (await created.json()) as { token: string };
    const legit = () => ({ authorization: `Bearer ${token}` });

    const alone = loop(service.baseUrl, '127.0.0.2', 1, legit);
    await sleep(SECONDS * 1000);
    const quiet = await alone.stop();

    const flood = startFlood(service.baseUrl, FLOOD);
    await sleep(1000); // the flood is up to speed
    const busy = loop(service.baseUrl, '127.0.0.2', 1, legit);
    await sleep(SECONDS * 1000);
    const underFlood = await busy.stop();
    const attack = await flood.stop();

    const ratio = p50(underFlood) / p50(quiet);
    console.log(
      `${label.padEnd(34)} legit p50 alone ${p50(quiet).toFixed(1)} ms (${statuses(quiet)}), ` +
        `under a ${FLOOD}-connection flood ${p50(underFlood).toFixed(1)} ms (${statuses(underFlood)}): ratio ${ratio.toFixed(2)}; ` +
        `flood answers ${attack}`,
    );
    return ratio;
  } finally {
    await service.stop();
  }
}

async function main() {
  const dbEnv = async (): Promise<{ env: Record<string, string>; done: () => Promise<void> }> => {
    if (process.env.DATABASE_URL) {
      const db = await scratchDatabase(process.env.DATABASE_URL, 'er_flood');
      return { env: { DATABASE_URL: db.url }, done: db.drop };
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'er-flood-'));
    return { env: { DATA_DIR: dir }, done: async () => rmSync(dir, { recursive: true, force: true }) };
  };
  console.log(`database: ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}; ${SECONDS} s per measurement`);
  for (const [label, extra] of [
    ['unprotected (limit and cache off)', { AUTH_FAILURES_PER_MINUTE: '0', AUTH_UNKNOWN_TOKEN_TTL_MS: '0' }],
    ['protected (defaults)', {}],
  ] as const) {
    const db = await dbEnv();
    try {
      await measure(label, { ...db.env, ...extra });
    } finally {
      await db.done();
    }
  }
}

await main();
