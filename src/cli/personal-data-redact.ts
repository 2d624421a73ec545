import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { servicesFor } from '../app.js';
import type { RedactionRequest } from '../application/commands/redaction.js';
import { type RequestContext, systemContext } from '../application/context.js';
import { findStoredPersonalData } from '../application/queries/stored-personal-data.js';
import { type Config, loadConfig } from '../config.js';
import { DomainError, RuleViolation } from '../domain/errors.js';
import { personalDataIn } from '../domain/personal-data.js';
import type { Database } from '../infrastructure/db/client.js';
import { runOnDatabase } from './on-database.js';
import { count } from './personal-data-report.js';

export interface RedactOptions {
  /** Who runs it (recorded as the acting person of the redact entries, not verified). */
  by: string;
  /** Why (recorded as the entries' reason; it must name no one). */
  reason: string;
  /** false: only say what would be redacted. */
  apply: boolean;
}

const entries = (n: number) => count(n, 'audit entry', 'audit entries');

/**
 * Redacts the personal data the report finds in audit entries (src/application/commands/redaction.ts),
 * except where the record itself still holds it: that is mended first, in the record. Writes one JSON
 * line per entry (what it redacted, or would), one per finding left and why, then a plain line.
 * Returns the exit code: 0 when nothing is left, 1 when something is (or the redaction was refused).
 */
export async function runPersonalDataRedact(
  database: Database,
  config: Config,
  options: RedactOptions,
  write: (line: string) => void,
): Promise<number> {
  // The report hands over every record's findings before any entry's: an entry's text the record
  // still holds is known to be left by the time the entry comes.
  const inRecords = new Set<string>();
  const bySeq = new Map<number, string[]>();
  let left = 0;
  const leave = (line: object) => {
    left += 1;
    write(`${JSON.stringify(line)}\n`);
  };
  await findStoredPersonalData(database.db, (f) => {
    if (f.in === 'record') {
      inRecords.add(`${f.objectType}:${f.objectId}:${f.field}`);
      const how = f.deleted ? 'a deleted record (tombstone) keeps it: not redacted' : 'mend the record (PATCH)';
      leave({ left: 'record', objectType: f.objectType, objectId: f.objectId, field: f.field, found: f.found, how });
    } else if (f.notRedactable) {
      leave({ left: 'audit-entry', seq: f.seq, field: f.field, found: f.found, how: f.notRedactable });
    } else if (f.field !== 'reason' && inRecords.has(`${f.objectType}:${f.objectId}:${f.field.replace(/^(before|after)\./, '')}`)) {
      leave({
        left: 'audit-entry',
        seq: f.seq,
        field: f.field,
        found: f.found,
        how: 'the record holds personal data here too: mend it first',
      });
    } else {
      bySeq.set(f.seq, [...(bySeq.get(f.seq) ?? []), f.field]);
    }
  });
  const requests: RedactionRequest[] = [...bySeq].map(([seq, fields]) => ({ seq, fields }));
  if (!options.apply) {
    for (const r of requests) write(`${JSON.stringify({ wouldRedact: r.seq, fields: r.fields })}\n`);
    write(`dry run: ${entries(requests.length)} would be redacted, ${count(left, 'finding')} left; run again with --apply\n`);
    return requests.length + left > 0 ? 1 : 0;
  }
  const ctx: RequestContext = systemContext(options.reason);
  ctx.actor.person = { id: options.by, name: null, verified: false };
  try {
    const redacted = requests.length > 0 ? await servicesFor(database, config).commands.redaction.redact(ctx, requests) : [];
    for (const r of redacted)
      write(`${JSON.stringify({ redacted: r.seq, objectType: r.objectType, objectId: r.objectId, fields: r.fields })}\n`);
    write(`redacted ${entries(redacted.length)}; ${count(left, 'finding')} left\n`);
    return left > 0 ? 1 : 0;
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    const problems = err instanceof RuleViolation ? err.invalidParams : [];
    for (const p of problems) write(`${JSON.stringify({ refused: p })}\n`);
    write(`nothing was redacted: ${err.message}\n`);
    return 1;
  }
}

const USAGE = 'usage: personal-data:redact --by WHO --reason WHY [--apply]   (without --apply: what it would redact)\n';

/**
 * `npm run personal-data:redact -- --by j.devries --reason "AVG: FG-verzoek 2026-14" [--apply]`: on the
 * configured database (stop the server first on the embedded one). Exit 0 when nothing is left, 1 when
 * findings are left or the redaction was refused, 2 when it could not run (bad arguments or configuration too).
 */
async function main(): Promise<void> {
  let options: RedactOptions;
  try {
    const { values } = parseArgs({ options: { by: { type: 'string' }, reason: { type: 'string' }, apply: { type: 'boolean' } } });
    const by = values.by?.trim() ?? '';
    const reason = values.reason?.trim() ?? '';
    if (!by || !reason) throw new Error('--by and --reason are required');
    const kind = personalDataIn(reason);
    if (kind) throw new Error(`the reason looks like it holds personal data (${kind}); the registry keeps none`);
    options = { by, reason, apply: values.apply === true };
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  await runOnDatabase(
    'personal-data:redact',
    () => loadConfig(),
    (database, config) => runPersonalDataRedact(database, config, options, (line) => process.stdout.write(line)),
    true,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
