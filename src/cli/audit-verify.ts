import type { KeyObject } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../config.js';
import { resolveSigningKey } from '../infrastructure/audit/signing-key.js';
import { type AuditAnchor, verifyDatabase } from '../infrastructure/audit/verify.js';
import type { Database } from '../infrastructure/db/client.js';
import { withTenant } from '../infrastructure/db/tenant.js';
import { runOnDatabase } from './on-database.js';

/**
 * Verifies the audit trail of a database and writes the report as one JSON line.
 * Returns the exit code: 0 when the chain and the tail checks hold, 1 when they do not.
 */
export async function runAuditVerify(
  database: Database,
  write: (line: string) => void,
  anchor?: AuditAnchor,
  checkpointKey: KeyObject | null = null,
): Promise<number> {
  // Every municipality's records are checked against the trail: an explicit all-municipalities scope.
  const report = await withTenant(database.db, { kind: 'all' }, (tx) => verifyDatabase(tx, anchor, { publicKey: checkpointKey }));
  write(`${JSON.stringify(report)}\n`);
  if (!report.ok) {
    write(`audit trail BROKEN at seq ${report.firstBrokenSeq ?? '-'}: ${report.problem}\n`);
    return 1;
  }
  write(`audit trail intact: ${report.entriesChecked} entries, head ${report.headHash ?? '(empty)'}\n`);
  return 0;
}

/**
 * `npm run audit:verify [-- SEQ HASH]`: walks the configured database's audit trail; exits 1 when
 * it is broken, 2 when it could not run (bad arguments, a database it cannot open). SEQ and HASH (lastSeq and headHash of an earlier run) must still match.
 */
async function main(): Promise<void> {
  const [seqArg, hashArg] = process.argv.slice(2);
  let anchor: AuditAnchor | undefined;
  if (seqArg !== undefined) {
    if (!/^[1-9][0-9]*$/.test(seqArg) || !/^[0-9a-f]{64}$/.test(hashArg ?? '')) {
      process.stderr.write('usage: audit:verify [SEQ HASH]   (lastSeq and headHash of an earlier run)\n');
      process.exitCode = 2;
      return;
    }
    anchor = { seq: Number(seqArg), hash: hashArg as string };
  }
  // Opening fails too (a data folder locked by a running service, an unreachable server): that is
  // "could not run", exit 2, never "broken".
  await runOnDatabase(
    'audit:verify',
    () => loadConfig(),
    (database, config) => {
      // The signed checkpoints are checked with the service's own key (configured, or DATA_DIR's).
      const checkpointKey = resolveSigningKey(config, database.kind, false).key?.publicKey ?? null;
      return runAuditVerify(database, (line) => process.stdout.write(line), anchor, checkpointKey);
    },
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
