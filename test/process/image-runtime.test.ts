import { execSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { copyOf, dockerfileStages, ROOT } from '../support/dockerfile.js';
import { seedDataDir } from '../support/pglite-template.js';
import { ensureBuilt, owned, startServer } from '../support/server.js';

/**
 * No Docker engine runs here, so this performs the Dockerfile's runtime stage by hand in a scratch
 * folder: the files it copies from the context, its production install (the exact `npm ci` command
 * of the Dockerfile, from the lockfile), dist/ from the build, then the image's command. The service
 * must start from that folder alone (no src/, no dev dependencies), become ready and answer.
 * It takes its time: the production install unpacks ~100 packages (from npm's local cache when
 * warm: 10-20 s on this machine). The embedded database is seeded from the tests' migrated template
 * (as in server.test.ts) so no initdb runs; the service still migrates it at start.
 */
t.setTimeout(240_000);

const ADMIN_TOKEN = 'image-runtime-admin-token-0123456789abcdef';

// It runs the image's default (embedded database) whatever the suite's database: once is enough, in the embedded suite.
const skip = process.env.DATABASE_URL ? 'runs in the embedded-database suite only (it does not use DATABASE_URL)' : false;

t.test('the runtime stage, performed in a scratch folder, starts, gets ready and answers', { skip }, async (t) => {
  ensureBuilt();
  const runtime = dockerfileStages().at(-1);
  if (!runtime) return t.fail('a runtime stage');
  const app = mkdtempSync(path.join(tmpdir(), 'er-image-'));
  t.teardown(() => rmSync(app, { recursive: true, force: true }));

  for (const step of runtime.steps) {
    if (step.op === 'COPY') {
      const { from, sources, dest } = copyOf(step);
      for (const source of sources) {
        const src = from === 'build' ? path.join(ROOT, path.relative('/app', source)) : path.join(ROOT, source);
        const target = dest.endsWith('/') || dest === './' ? path.join(app, path.basename(source)) : path.join(app, dest);
        cpSync(src, target, { recursive: true });
      }
    } else if (step.op === 'RUN' && /^npm ci\b/.test(step.args)) {
      const install = step.args.split('&&')[0]?.trim() ?? ''; // the rest only cleans npm's cache in the image
      execSync(`${install} --prefer-offline --loglevel=error`, {
        cwd: app,
        stdio: 'pipe',
        env: { ...process.env, NODE_ENV: 'production' },
      });
    }
  }
  const { readdirSync, existsSync } = await import('node:fs');
  t.same(
    readdirSync(app)
      .filter((f) => f !== 'data')
      .sort(),
    ['dist', 'migrations', 'node_modules', 'package-lock.json', 'package.json', 'scripts'],
    'the image’s /app',
  );
  t.notOk(existsSync(path.join(app, 'node_modules/typescript')), 'no dev dependencies (TypeScript) in it');
  t.notOk(existsSync(path.join(app, 'node_modules/tap')), 'no test runner in it');

  const dataDir = path.join(app, 'data');
  await seedDataDir(dataDir);
  const server = owned(
    t,
    startServer(
      { NODE_ENV: 'production', HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, REGISTRY_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'info' },
      app,
    ),
  );
  const url = await server.ready;
  const ready = await fetch(`${url}/health/ready`);
  t.equal(ready.status, 200, 'ready (the HEALTHCHECK’s request)');
  const list = await fetch(`${url}/v1/municipalities`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  t.equal(list.status, 200, 'answers an authenticated request');
  t.match(await list.json(), { items: [{ code: 'GM0014' }] }, 'from its migrated database');
  server.proc.kill('SIGTERM');
  t.equal(await server.exited, 0, 'and stops cleanly on SIGTERM');

  // The operators' commands, as docs/operations.md gives them, from the image's folder (no src/, no TypeScript):
  // an operator's review found them failing there ("Cannot find module …/scripts/build-if-stale.mjs").
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL; // the image's default, the embedded database
  for (const command of ['npm run --silent db:migrate', 'npm run --silent audit:verify']) {
    let status = 0;
    let output = '';
    try {
      output = execSync(command, { cwd: app, stdio: 'pipe', env }).toString();
    } catch (err) {
      const failed = err as { status?: number; stdout?: Buffer; stderr?: Buffer };
      status = failed.status ?? -1;
      output = `${failed.stdout ?? ''}${failed.stderr ?? ''}`;
    }
    t.equal(status, 0, `${command} runs in the image: ${output.slice(0, 300)}`);
  }
  t.notOk(existsSync(path.join(app, 'src')), 'and built nothing there');
});
