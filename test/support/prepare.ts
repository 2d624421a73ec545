import { ownerUrlFromEnv, usingPostgres } from './basics.js';
import { pgliteTemplateDir, sweepScratchFolders } from './pglite-template.js';
import { dropStaleTemplates, postgresTemplate } from './postgres-template.js';

// Run by test/support/before.ts (tap's `before`), once before any test file: clears what killed runs
// left, and makes the migrated templates the test databases are copied from: PGlite's always (the
// server tests seed data folders from it on PostgreSQL too), PostgreSQL's when DATABASE_URL is set.
sweepScratchFolders();
await pgliteTemplateDir();
if (usingPostgres) {
  const ownerUrl = ownerUrlFromEnv();
  await dropStaleTemplates(ownerUrl);
  await postgresTemplate(ownerUrl);
}
