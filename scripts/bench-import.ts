/**
 * `npm run bench:import`: bulk import through the API on PostgreSQL against the physical limit.
 *
 * 1. Generates BENCH_IMPORT_ACTIONS enforcement actions (default 100000) with one establishment and one
 *    licence per 100 actions, as CSV files.
 * 2. Imports them through the running service (`POST /v1/imports`, mode row-by-row: one pass; every
 *    record through its command, with audit entry, rollups and outbox) and samples the service's RSS.
 * 3. Copies the same rows (read back from that database) into a second, freshly migrated database with
 *    psql `\copy` (COPY FROM STDIN; the statistics triggers fire, no audit entries are written), in one
 *    transaction, and into a third in transactions of 500 rows (the import's batch size): in one
 *    transaction the rollup triggers update the same few rows again and again, and each update walks
 *    the versions the transaction made before, so one COPY slows down as it grows.
 * 4. Exports the actions again (`GET /v1/exports/enforcement-actions`), rows per second and RSS
 *    (before step 3, which leaves the service idle for minutes at 100,000 rows).
 *
 * Environment: DATABASE_URL (admin URL; two scratch databases are created and dropped),
 * BENCH_IMPORT_ACTIONS, BENCH_IMPORT_COPY=off to leave step 3 out (the 1 M run of the memory
 * comparison). Prints one JSON line with the figures.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { scratchDatabase } from '../test/support/scratch-database.js';
import { DEFAULT_URL } from './bench/seed.js';
import { rssMb, startService } from './bench/service.js';

const ADMIN_TOKEN = `bench-admin-${'x'.repeat(32)}`;
const ACTIONS = Number(process.env.BENCH_IMPORT_ACTIONS ?? 100_000);
const ESTABLISHMENTS = Math.max(1, Math.ceil(ACTIONS / 100));
const WITH_COPY = process.env.BENCH_IMPORT_COPY !== 'off';

function files(dir: string) {
  const est = ['externalReference,municipalityCode,name,kind,street,houseNumber,houseNumberAddition,postalCode,city,kvkNumber,bagId'];
  const lic = ['externalReference,establishmentReference,licenceNumber,validFrom,validUntil,statusHistory'];
  for (let i = 0; i < ESTABLISHMENTS; i++) {
    est.push(`E-${i},GM0363,Club ${i},club,Kade,${(i % 999) + 1},,1012DK,Amsterdam,,`);
    lic.push(`L-${i},E-${i},EV-${i},2015-01-01,2018-12-31,granted:2015-01-01`);
  }
  const act = [
    'externalReference,establishmentReference,measure,grounds,stage,decisionDate,fineAmountCents,penaltyAmountCents,penaltyUnit,penaltyMaximumCents,penaltyComplianceDeadline,penaltyForfeitedCents,closureStartDate,closureEndDate,legalBasis,caseReference',
  ];
  for (let i = 0; i < ACTIONS; i++) {
    const day = String((i % 28) + 1).padStart(2, '0');
    const month = String((i % 12) + 1).padStart(2, '0');
    act.push(
      `A-${i},E-${i % ESTABLISHMENTS},administrative_fine,hygiene,decided,${2016 + (i % 8)}-${month}-${day},${((i % 50) + 1) * 10000},,,,,,,,APV art. 3:4,`,
    );
  }
  const write = (name: string, lines: string[]) => {
    const p = path.join(dir, name);
    writeFileSync(p, `${lines.join('\n')}\n`);
    return p;
  };
  return {
    establishments: write('establishments.csv', est),
    licences: write('licences.csv', lic),
    'enforcement-actions': write('enforcement-actions.csv', act),
  };
}

async function main() {
  const admin = process.env.DATABASE_URL || DEFAULT_URL;
  const one = await scratchDatabase(admin, 'er_bench_import');
  const two = await scratchDatabase(admin, 'er_bench_copy');
  const three = await scratchDatabase(admin, 'er_bench_copy_batched');
  const dir = mkdtempSync(path.join(tmpdir(), 'er-bench-import-'));
  const service = await startService({ DATABASE_URL: one.url, REGISTRY_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'warn' });
  const pid = service.child.pid as number;
  let peak = rssMb(pid);
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 100);
  try {
    const made = await fetch(`${service.baseUrl}/v1/api-clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench officer', role: 'officer', municipalityCode: 'GM0363' }),
    });
    const { token } = (await made.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}` };
    const paths = files(dir);
    const rssBefore = rssMb(pid);
    const t0 = performance.now();
    let rows = 0;
    let uploadMs = 0; // of importMs: the uploads (parsed, checked and stored with their jobs) until each 202
    for (const [type, file] of Object.entries(paths)) {
      const u0 = performance.now();
      const res = await fetch(`${service.baseUrl}/v1/imports?recordType=${type}&mode=row-by-row`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'text/csv', 'content-length': String(statSync(file).size) },
        body: Readable.toWeb(createReadStream(file)) as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      if (res.status !== 202) throw new Error(`${type}: ${res.status} ${await res.text()}`);
      uploadMs += performance.now() - u0;
      const { id } = (await res.json()) as { id: string };
      for (;;) {
        const job = (await (await fetch(`${service.baseUrl}/v1/imports/${id}`, { headers: auth })).json()) as {
          state: string;
          counts: { created: number; rejected: number };
        };
        if (job.state !== 'queued' && job.state !== 'running') {
          if (job.state !== 'succeeded' || job.counts.rejected > 0) throw new Error(`${type}: ${JSON.stringify(job)}`);
          rows += job.counts.created;
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const importMs = performance.now() - t0;
    const importPeak = peak;

    // Export of the actions, streamed.
    peak = rssMb(pid);
    const e0 = performance.now();
    const res = await fetch(`${service.baseUrl}/v1/exports/enforcement-actions?format=csv`, { headers: auth });
    let bytes = 0;
    let lines = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      for (const b of chunk) if (b === 10) lines += 1;
    }
    const exportMs = performance.now() - e0;
    const exportPeak = peak;
    console.error(
      `imported ${rows} records in ${(importMs / 1000).toFixed(1)} s; exported ${lines - 1} in ${(exportMs / 1000).toFixed(1)} s`,
    );

    // COPY of the same rows into the same (migrated, empty) tables of a second database.
    let copyMs = Number.NaN;
    let batchedCopyMs = Number.NaN;
    if (WITH_COPY) {
      const second = await startService({ DATABASE_URL: two.url, REGISTRY_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'warn' });
      await second.stop();
      const tables = ['establishments', 'licences', 'enforcement_actions'];
      for (const t of tables) execFileSync('psql', [one.url, '-qc', `\\copy ${t} to '${path.join(dir, `${t}.copy`)}'`]);
      const c0 = performance.now();
      for (const t of tables) execFileSync('psql', [two.url, '-qc', `\\copy ${t} from '${path.join(dir, `${t}.copy`)}'`]);
      copyMs = performance.now() - c0;
      // The same rows again, into a third database, in transactions of the import's batch size (500).
      const third = await startService({ DATABASE_URL: three.url, REGISTRY_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'warn' });
      await third.stop();
      const script = tables.flatMap((t) => {
        const lines = readFileSync(path.join(dir, `${t}.copy`), 'utf8')
          .split('\n')
          .filter((l) => l !== '');
        const chunks: string[] = [];
        for (let i = 0; i < lines.length; i += 500) {
          const chunk = path.join(dir, `${t}.${i}.copy`);
          writeFileSync(chunk, `${lines.slice(i, i + 500).join('\n')}\n`);
          chunks.push(`\\copy ${t} from '${chunk}'`);
        }
        return chunks;
      });
      writeFileSync(path.join(dir, 'chunks.sql'), `${script.join('\n')}\n`);
      const b0 = performance.now();
      execFileSync('psql', [three.url, '-q', '-v', 'ON_ERROR_STOP=1', '-f', path.join(dir, 'chunks.sql')]);
      batchedCopyMs = performance.now() - b0;
    }

    const importRate = rows / (importMs / 1000);
    const copyRate = rows / (copyMs / 1000);
    console.log(
      JSON.stringify({
        actions: ACTIONS,
        establishments: ESTABLISHMENTS,
        licences: ESTABLISHMENTS,
        rows,
        importSeconds: +(importMs / 1000).toFixed(1),
        importRowsPerSecond: Math.round(importRate),
        uploadSeconds: +(uploadMs / 1000).toFixed(1),
        copySeconds: WITH_COPY ? +(copyMs / 1000).toFixed(2) : null,
        copyRowsPerSecond: WITH_COPY ? Math.round(copyRate) : null,
        ratioToCopy: WITH_COPY ? +(importRate / copyRate).toFixed(3) : null,
        batchedCopySeconds: WITH_COPY ? +(batchedCopyMs / 1000).toFixed(2) : null,
        batchedCopyRowsPerSecond: WITH_COPY ? Math.round(rows / (batchedCopyMs / 1000)) : null,
        ratioToBatchedCopy: WITH_COPY ? +(importRate / (rows / (batchedCopyMs / 1000))).toFixed(3) : null,
        serviceRssMbBefore: rssBefore,
        serviceRssMbPeakDuringImport: importPeak,
        exportRows: lines - 1,
        exportMb: +(bytes / 1e6).toFixed(1),
        exportRowsPerSecond: Math.round((lines - 1) / (exportMs / 1000)),
        serviceRssMbPeakDuringExport: exportPeak,
        loadAverage: (await import('node:os')).loadavg().map((l) => +l.toFixed(2)),
      }),
    );
  } finally {
    clearInterval(sampler);
    await service.stop();
    await one.drop();
    await two.drop();
    await three.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
