import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { ensureBuilt } from '../support/server.js';

/**
 * `npm run retention:destroy` (dist/cli/retention-destroy.js) destroys for good, and every destruction
 * records the selection list its period comes from. With periods but no RETENTION_SELECTION_LIST it ran
 * all the same and recorded "unspecified" (an operator's review): now it refuses before the database is
 * opened. Test/db/retention.test.ts covers the destruction itself.
 */
const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

t.test('retention periods without their selection list: exit 78, the variable named, nothing opened', async (t) => {
  ensureBuilt();
  const scratch = mkdtempSync(path.join(tmpdir(), 'er-retention-'));
  t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
  const dataDir = path.join(scratch, 'data');
  const attempt = (env: Record<string, string>) =>
    run(process.execPath, [path.join(ROOT, 'dist/cli/retention-destroy.js'), '2030-06-01'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, ...env },
    }).then(
      (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, out: e.stdout ?? '', err: e.stderr ?? '' }),
    );

  const refused = await attempt({ RETENTION_LICENCE_YEARS: '10' });
  t.equal(refused.code, 78, `exit 78: ${refused.err}`);
  t.match(refused.err, /^retention:destroy: RETENTION_SELECTION_LIST is not set: [^\n]*Nothing was destroyed\.\n$/, 'one line naming it');
  t.notOk(existsSync(dataDir), 'the database was not even opened');

  const nothingSet = await attempt({});
  t.equal(nothingSet.code, 0, nothingSet.err);
  const kept = JSON.parse(nothingSet.out);
  t.match(kept, { note: /everything is kept/ }, 'no period: nothing to destroy, no list needed');
  t.same(kept.destroyed, {}, 'nothing destroyed');
  t.notOk(existsSync(dataDir), 'and nothing opened either');
});
