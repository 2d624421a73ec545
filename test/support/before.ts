import { execFileSync } from 'node:child_process';
import path from 'node:path';

// Run by tap once, before any test file (.taprc `before`): test/support/prepare.ts removes the scratch
// folders of killed test processes and makes the migrated templates the test databases are copied
// from (test/support/pglite-template.ts, and postgres-template.ts when DATABASE_URL is set).
// Made here, initdb (10-40 s on a loaded machine) no longer lands inside the first files' timeouts,
// and two files starting together no longer make a template twice. In a child process without tap's
// coverage recorder, which the before script gets even with coverage disabled (it would print a
// coverage table of src/ after the suite).
execFileSync(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'prepare.ts')], {
  stdio: 'inherit',
  env: { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0' },
});
