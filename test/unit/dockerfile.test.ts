import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { copyOf, dockerfileStages, ROOT } from '../support/dockerfile.js';

const stages = dockerfileStages();
const runtime = stages.at(-1);
const build = stages.find((s) => s.name === 'build');

t.test('Dockerfile: a build stage with the dev dependencies, a runtime stage on Node 22 LTS', async (t) => {
  t.ok(stages.length >= 2, 'multi-stage');
  t.ok(build, 'a stage named build');
  t.ok(runtime && runtime !== build, 'the last stage is the runtime, not the build');
  for (const s of stages) t.match(s.from, /^node:22(\.\d+)*-(bookworm|bookworm-slim|alpine)$/, `${s.name}: Node 22 LTS, a pinned major`);
  t.ok(
    build?.steps.some((s) => s.op === 'RUN' && /^npm ci\b/.test(s.args) && !/--omit=dev/.test(s.args)),
    'the build installs every dependency (TypeScript is a dev dependency)',
  );
  t.ok(
    build?.steps.some((s) => s.op === 'RUN' && /npm run build/.test(s.args)),
    'and compiles',
  );
});

t.test('Dockerfile: the runtime stage holds dist/, production dependencies and migrations, runs as non-root', async (t) => {
  if (!runtime) return;
  const copies = runtime.steps.filter((s) => s.op === 'COPY').map(copyOf);
  const fromContext = copies.filter((c) => c.from === null).flatMap((c) => c.sources);
  const fromBuild = copies.filter((c) => c.from === 'build').flatMap((c) => c.sources);
  t.same(fromBuild, ['/app/dist'], 'only dist/ comes from the build stage (no dev node_modules)');
  t.same(
    fromContext.sort(),
    ['migrations', 'package-lock.json', 'package.json', 'scripts/build-if-stale.mjs'],
    'from the context: the lockfile, package.json, migrations, and the step the operators’ npm scripts run first',
  );
  t.notOk(fromContext.includes('src'), 'no sources in the runtime image');
  const installs = runtime.steps.filter((s) => s.op === 'RUN' && /\bnpm (ci|install|i)\b/.test(s.args));
  t.equal(installs.length, 1, 'one install');
  t.match(installs[0]?.args ?? '', /^npm ci --omit=dev\b/, 'production dependencies from the lockfile');

  const users = runtime.steps.filter((s) => s.op === 'USER').map((s) => s.args);
  t.ok(users.length > 0 && !['root', '0'].includes(users.at(-1) ?? 'root'), `runs as ${users.at(-1)}, not root`);
  const afterUser = runtime.steps.slice(runtime.steps.findIndex((s) => s.op === 'USER'));
  t.notOk(
    afterUser.some((s) => s.op === 'RUN'),
    'nothing runs as that user at build time that could need root',
  );
  t.ok(
    runtime.steps.some((s) => s.op === 'HEALTHCHECK' && /\/health\/ready/.test(s.args)),
    'HEALTHCHECK calls /health/ready',
  );
  const cmd = runtime.steps.filter((s) => s.op === 'CMD' || s.op === 'ENTRYPOINT').map((s) => s.args);
  t.same(cmd, ['["node", "dist/server.js"]'], 'starts the compiled service with node: no npm, no build, no network at start');
  const env = runtime.steps
    .filter((s) => s.op === 'ENV')
    .map((s) => s.args)
    .join(' ');
  t.match(env, /HOST=0\.0\.0\.0/, 'listens beyond the container');
  t.match(env, /NODE_ENV=production/);
  t.match(env, /DATA_DIR=\/data/, 'the embedded database in a volume');
});

t.test('.dockerignore keeps dependencies, data, secrets and history out of the build context', async (t) => {
  const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  for (const p of ['node_modules', 'dist', 'data', '.git', '.env']) t.ok(ignored.includes(p), `${p} is ignored`);
  // The scripts stay out, but the one file the runtime stage copies must be let through or the build fails.
  t.ok(ignored.indexOf('!scripts/build-if-stale.mjs') > ignored.indexOf('scripts'), 'build-if-stale.mjs is let back in after scripts');
});
