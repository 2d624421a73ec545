import { execFileSync } from 'node:child_process';
import path from 'node:path';

// Run by tap once, before any test file (.taprc `before`): removes the scratch folders of killed test
// processes (test/support/pglite-template.ts) and makes the migrated PGlite template that
// every api and db file loads and the server test seeds its data folder from (on PostgreSQL too).
// Made here, initdb (10-40 s on a loaded machine) no longer lands inside the first files' timeouts,
// and two files starting together no longer run it twice. In a child process without tap's
// coverage recorder, which the before script gets even with coverage disabled (it would print a
// coverage table of src/ after the suite).
execFileSync(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'pglite-template.ts')], {
  stdio: 'inherit',
  env: { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0' },
});
