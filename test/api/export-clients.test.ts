import http from 'node:http';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { json, usingPostgres } from '../support/helper.js';
import { setUp } from '../support/imports.js';

/**
 * An export and the client it is sent to (src/application/transfer/export.ts, routes/transfer.ts): the
 * export is read whole into a spool before it is sent, so a client that reads slowly holds no database
 * connection; one that leaves stops the reading; a spool that cannot be written is a 503. A file of its
 * own: its 16 MB export takes a while on the embedded database, and runs beside the other files.
 */
t.setTimeout(300_000); // some 45 s alone on the 2-core machine, several times that beside a full run

t.test('a client that stops reading holds no database connection, and gets the export whole once it reads again', async (t) => {
  // The export used to read its snapshot while it sent: a client that stopped reading kept the transaction
  // open, and on the embedded database every other request waited for it (a concurrency review, 7 December 2026).
  const a = await setUp(t);
  const ROWS = 45_000; // some 16 MB of CSV: more than the socket buffers between the two hold
  await a.database.owner.execute(sql`insert into establishments (id, municipality_code, name, kind, street, house_number, postal_code, city,
      created_at, updated_at, created_by, updated_by)
    select gen_random_uuid(), 'GM0363', 'Club ' || n || ' ' || repeat('x', 180), 'club', repeat('Kade', 25), n, '1012DK', 'Amsterdam',
      now(), now(), ${a.officer.id}, ${a.officer.id}
    from generate_series(1, ${ROWS}) n`);
  const address = await a.app.listen({ port: 0, host: '127.0.0.1' });
  const { hostname, port } = new URL(address);
  let received = 0;
  let lines = 0;
  let answering = () => {};
  const answered = new Promise<void>((resolve) => (answering = resolve));
  const exported = new Promise<{ status: number; ended: boolean }>((resolve, reject) => {
    const req = http.get({ host: hostname, port, path: '/v1/exports/establishments?format=csv', headers: a.officer.auth }, (res) => {
      res.pause(); // the client stops reading at once
      answering();
      setTimeout(() => {
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          for (const byte of chunk) if (byte === 10) lines += 1;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ended: true }));
        res.on('error', reject);
        res.resume();
      }, 3000);
    });
    req.on('error', reject);
  });
  await answered;
  await new Promise((r) => setTimeout(r, 500)); // the export is being sent, and its client reads nothing
  const within = { signal: AbortSignal.timeout(1000) };
  const read = await fetch(`${address}/v1/establishments?pageSize=1`, { headers: a.officer.auth, ...within });
  t.equal(read.status, 200, 'a read is answered within a second while the export’s client reads nothing');
  const ready = await fetch(`${address}/health/ready`, within);
  t.equal(ready.status, 200, 'so is readiness');
  const done = await exported;
  t.same(done, { status: 200, ended: true });
  t.equal(lines, ROWS + 1, `every record and the header (${received} bytes)`);

  // A client that goes away while the export is read stops the reading at the next batch: a read after it is
  // answered long before the whole export could have been read.
  const startedAt = Date.now();
  const left = http.get({ host: hostname, port, path: '/v1/exports/establishments?format=csv', headers: a.officer.auth });
  left.on('error', () => {}); // it is destroyed on purpose
  await new Promise((r) => setTimeout(r, 300));
  left.destroy();
  const afterLeaving = await fetch(`${address}/v1/establishments?pageSize=1`, { headers: a.officer.auth });
  const waited = Date.now() - startedAt;
  t.equal(afterLeaving.status, 200, 'a read after a client left is answered');
  const readWhole = Date.now();
  await (await fetch(`${address}/v1/exports/establishments?format=csv`, { headers: a.officer.auth })).text();
  const whole = Date.now() - readWhole;
  // On PostgreSQL the read has a pooled connection of its own: it never waited for the export.
  if (!usingPostgres)
    t.ok(waited < whole * 0.75, `the reading stopped: the read answered after ${waited} ms, a whole export takes ${whole} ms`);

  // No room for the spool (its temporary folder cannot be written): a 503 with Retry-After, not a 500.
  const tmp = process.env.TMPDIR;
  process.env.TMPDIR = '/nonexistent/registry-test';
  try {
    const full = await a.exportOf('establishments', 'csv');
    t.equal(full.statusCode, 503, full.body.slice(0, 300));
    t.match(json(full), { code: 'storage-unavailable' });
    t.equal(full.headers['retry-after'], '30');
  } finally {
    if (tmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmp;
  }
});
