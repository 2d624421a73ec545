import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { ImportJob } from '../application/transfer/imports.js';
import { RECORD_TYPES, type RecordType } from '../domain/transfer.js';

/**
 * `npm run import -- FILE [--dry-run] [--record-type TYPE] [--mode MODE]`: uploads a file to the
 * registry's import API (REGISTRY_URL, default http://127.0.0.1:3000/v1; token in REGISTRY_TOKEN),
 * shows the job's progress on stderr and prints its summary on stdout. Exit code 0: done, nothing
 * rejected; 1: records were rejected, or the import failed or was cancelled; 2: it could not run
 * (usage, connection, a refused upload). See docs/import-export.md.
 */

/** A job as GET /v1/imports/{id} returns it (the API's ImportJob). */
type Job = ImportJob;

const usage = `usage: npm run import -- FILE [--dry-run] [--record-type establishments|licences|enforcement-actions] [--mode all-or-nothing|row-by-row]
  REGISTRY_URL   the API, ending in /v1 (default http://127.0.0.1:3000/v1)
  REGISTRY_TOKEN an officer's bearer token`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/** The record type from the option, else from the file name (e.g. licences-2024.csv). */
function recordTypeOf(file: string, given: string | undefined): string {
  if (given) {
    if (!RECORD_TYPES.includes(given as RecordType)) fail(`--record-type must be one of ${RECORD_TYPES.join(', ')}`);
    return given;
  }
  const name = path.basename(file).toLowerCase();
  const found = RECORD_TYPES.find((t) => name.includes(t) || name.includes(t.replace(/s$/, '').replace('-', '_')));
  return found ?? fail(`cannot tell the record type from the file name ${name}: pass --record-type\n${usage}`);
}

function bar(job: Job, width = 30): string {
  const total = Math.max(job.rowsTotal, 1);
  const done = Math.min(job.rowsDone, total);
  const filled = Math.round((done / total) * width);
  const pct = String(Math.floor((done / total) * 100)).padStart(3);
  const c = job.counts;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${pct}% ${done}/${job.rowsTotal} ${job.phase ?? job.state} · created ${c.created} · updated ${c.updated} · unchanged ${c.unchanged} · rejected ${c.rejected}`;
}

function summary(job: Job): string {
  const c = job.counts;
  const lines = [
    `import ${job.id}: ${job.state}${job.dryRun ? ' (dry run: nothing was written)' : ''}`,
    `  ${job.recordType}, ${job.format}, ${job.mode}; ${job.rowsDone} of ${job.rowsTotal} records`,
    `  created ${c.created}, updated ${c.updated}, unchanged ${c.unchanged}, rejected ${c.rejected}`,
  ];
  if (job.problemsTotal > 0) {
    lines.push(`  problems: ${job.problemsTotal}${job.problemsTotal > 20 ? ' (the first 20)' : ''}`);
    for (const p of job.problems.slice(0, 20)) {
      lines.push(`    line ${p.line}${p.column ? `, ${p.column}` : ''}: ${p.code}: ${p.reason}`);
    }
  }
  if (c.updated > 0) {
    // What a dry run would change, to check before applying: a spreadsheet alters cells nobody edited.
    lines.push(`  ${job.dryRun ? 'would change' : 'changed'}: ${c.updated}${c.updated > 20 ? ' (the first 20)' : ''}`);
    for (const u of job.changes.slice(0, 20)) lines.push(`    line ${u.line}, ${u.externalReference}: ${u.columns.join(', ')}`);
  }
  if (job.state === 'failed' && job.mode === 'all-or-nothing' && !job.dryRun) {
    lines.push('  nothing was written (all-or-nothing); fix the records above, or import with --mode row-by-row');
  }
  return `${lines.join('\n')}\n`;
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'dry-run': { type: 'boolean', default: false },
      'record-type': { type: 'string' },
      mode: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const file = positionals[0];
  if (!file || positionals.length > 1) fail(usage);
  const token = process.env.REGISTRY_TOKEN ?? fail(`REGISTRY_TOKEN is not set\n${usage}`);
  const base = (process.env.REGISTRY_URL ?? 'http://127.0.0.1:3000/v1').replace(/\/$/, '');
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    fail(`cannot read ${file}`);
  }
  const recordType = recordTypeOf(file, values['record-type']);
  const ndjson = /\.(ndjson|jsonl)$/i.test(file);
  const query = new URLSearchParams({ recordType, dryRun: String(values['dry-run']) });
  if (values.mode) query.set('mode', values.mode);
  const headers = { authorization: `Bearer ${token}` };

  const started = await fetch(`${base}/imports?${query}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': ndjson ? 'application/x-ndjson' : 'text/csv', 'content-length': String(size) },
    body: Readable.toWeb(createReadStream(file)) as ReadableStream,
    duplex: 'half',
  } as RequestInit).catch((err: Error) => fail(`cannot reach ${base}: ${err.message}`));
  if (started.status !== 202) {
    const body = await started.text();
    fail(`the registry refused the upload (${started.status}):\n${body}`);
  }
  let job = (await started.json()) as Job;
  const jobUrl = `${base}/imports/${job.id}`; // the Location, under REGISTRY_URL (which may sit behind a proxy's prefix)
  const tty = process.stderr.isTTY === true;
  let last = '';
  for (;;) {
    const line = bar(job);
    if (line !== last) {
      process.stderr.write(tty ? `\r${line}` : `${line}\n`);
      last = line;
    }
    if (!['queued', 'running'].includes(job.state)) break;
    await new Promise((r) => setTimeout(r, 300));
    const res = await fetch(jobUrl, { headers }).catch((err: Error) => fail(`lost the registry: ${err.message}`));
    if (res.status !== 200) fail(`reading ${jobUrl} answered ${res.status}: ${await res.text()}`);
    job = (await res.json()) as Job;
  }
  if (tty) process.stderr.write('\n');
  process.stdout.write(summary(job));
  return job.state === 'succeeded' && job.counts.rejected === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => fail(err.message),
);
