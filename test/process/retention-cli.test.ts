import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { todayInNetherlands } from '../../src/lib/dates.js';
import { ensureBuilt, seededDataDir } from '../support/server.js';

/**
 * `npm run retention:destroy` (dist/cli/retention-destroy.js) destroys for good, and every destruction
 * records the selection list its period comes from. With periods but no RETENTION_SELECTION_LIST it ran
 * all the same and recorded "unspecified" (an operator's review): now it refuses before the database is
 * opened. Test/db/retention.test.ts covers the destruction itself.
 */
const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

/** A run of the built command as of `day`, with only this environment. */
const destroyAsOf = (day: string, env: Record<string, string>) =>
  run(process.execPath, [path.join(ROOT, 'dist/cli/retention-destroy.js'), day], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
  }).then(
    (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, out: e.stdout ?? '', err: e.stderr ?? '' }),
  );

const PERIODS = { RETENTION_ENFORCEMENT_ACTION_YEARS: '10', RETENTION_SELECTION_LIST: 'Selectielijst gemeenten 2020, 1.2.3' };

t.test('retention periods without their selection list: exit 78, the variable named, nothing opened', async (t) => {
  ensureBuilt();
  const scratch = mkdtempSync(path.join(tmpdir(), 'er-retention-'));
  t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
  const dataDir = path.join(scratch, 'data');
  const attempt = (env: Record<string, string>) => destroyAsOf('2026-06-01', { DATA_DIR: dataDir, ...env });

  const refused = await attempt({ RETENTION_LICENCE_YEARS: '10' });
  t.equal(refused.code, 78, `exit 78: ${refused.err}`);
  t.match(refused.err, /^retention:destroy: RETENTION_SELECTION_LIST is not set: [^\n]*Nothing was destroyed\.\n$/, 'one line naming it');
  t.notOk(existsSync(dataDir), 'the database was not even opened');
  const alsoLate = await destroyAsOf('2999-01-01', { DATA_DIR: dataDir, RETENTION_LICENCE_YEARS: '10' });
  t.equal(alsoLate.code, 78, 'the missing list is said first, whatever the day');

  const nothingSet = await attempt({});
  t.equal(nothingSet.code, 0, nothingSet.err);
  const kept = JSON.parse(nothingSet.out);
  t.match(kept, { note: /everything is kept/ }, 'no period: nothing to destroy, no list needed');
  t.same(kept.destroyed, {}, 'nothing destroyed');
  t.notOk(existsSync(dataDir), 'and nothing opened either');
});

t.test('a day after today is refused before anything is opened (an operator review)', async (t) => {
  ensureBuilt();
  const dataDir = await seededDataDir(t, 'retention-days');
  const today = todayInNetherlands();
  // The rule itself is test/unit/retention.test.ts; here, that the command applies it before opening anything.
  const refused = await destroyAsOf('2999-05-02', { DATA_DIR: dataDir, ...PERIODS });
  t.equal(refused.code, 2, 'a day after today: exit 2');
  t.match(refused.err, /^retention:destroy: 2999-05-02 is after today \(\d{4}-\d{2}-\d{2}\): [^\n]*\. Nothing was destroyed\.\nusage: /);
  t.equal(refused.out, '', 'no report');
  const ran = await destroyAsOf(today, { DATA_DIR: dataDir, ...PERIODS });
  t.equal(ran.code, 0, `today (${today}) runs: ${ran.err}`);
  t.match(JSON.parse(ran.out), { today, destroyed: { enforcement_action: 0 } });
});

t.test('a DATA_DIR with no registry is exit 2, "could not run", and no empty database is made there', async (t) => {
  ensureBuilt();
  const scratch = mkdtempSync(path.join(tmpdir(), 'er-retention-'));
  t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
  const mistyped = path.join(scratch, 'dtaa');
  const missing = await destroyAsOf('2026-06-01', { DATA_DIR: mistyped, ...PERIODS });
  t.equal(missing.code, 2, missing.err);
  t.match(missing.err, /^retention:destroy could not run: there is no embedded database in DATA_DIR \([^)]*dtaa\)\n$/);
  t.equal(missing.out, '', 'no report of nothing destroyed, which a scheduler would take for success');
  t.notOk(existsSync(mistyped), 'and no folder made');
});
