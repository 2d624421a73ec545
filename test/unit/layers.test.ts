import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import ts from 'typescript';

/**
 * The layers of src/, lowest first. A module may import from its own layer and the ones below,
 * never from above; and no chain of imports may lead back to where it started.
 */
const SRC = path.resolve(import.meta.dirname, '../../src');
const LAYERS = ['lib', 'infrastructure', 'domain', 'application', 'http', 'composition'] as const;

function layerOf(file: string): (typeof LAYERS)[number] {
  const top = path.relative(SRC, file).split(path.sep)[0] ?? '';
  return (LAYERS as readonly string[]).includes(top) ? (top as (typeof LAYERS)[number]) : 'composition'; // every other top-level module and cli/ (docs/architecture.md)
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/**
 * Every module a file names, as TypeScript's own pre-processor finds them: `import … from`, `export
 * … from`, `import type`, a bare `import '…'` and a dynamic `import('…')`.
 */
function specifiersOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

/** Relative imports of a module (type-only and dynamic ones included), resolved to files. */
function importsOf(file: string): string[] {
  return specifiersOf(file)
    .filter((s) => /^\.{1,2}\//.test(s))
    .map((s) => path.resolve(path.dirname(file), s.replace(/\.js$/, '.ts')));
}

const files = sources(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const rel = (f: string) => path.relative(SRC, f);

t.test('the scan sees the layers and their imports', async (t) => {
  for (const layer of LAYERS)
    t.ok(
      files.some((f) => layerOf(f) === layer),
      `some module is in ${layer}`,
    );
  t.ok([...graph.values()].flat().length > 100, 'it finds the imports');
  t.ok(
    graph.get(path.join(SRC, 'server.ts'))?.includes(path.join(SRC, 'app.ts')),
    'a dynamic import too (server.ts loads app.ts with await import)',
  );
  const missing = [...graph].flatMap(([file, deps]) => deps.filter((d) => !graph.has(d)).map((d) => `${rel(file)} → ${rel(d)}`));
  t.same(missing, [], 'every import resolves to a module of src/');
});

t.test('imports point down, never up', async (t) => {
  const upward: string[] = [];
  for (const [file, deps] of graph) {
    for (const d of deps) {
      if (LAYERS.indexOf(layerOf(d)) > LAYERS.indexOf(layerOf(file)))
        upward.push(`${rel(file)} (${layerOf(file)}) → ${rel(d)} (${layerOf(d)})`);
    }
  }
  t.same(upward, [], 'no module imports from a higher layer');
});

t.test('no import circles', async (t) => {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].map(rel).join(' → '));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  t.same(cycles, [], 'no chain of imports leads back to its start');
});

t.test('the domain is pure: no database, no HTTP, no I/O', async (t) => {
  const impure = files
    .filter((f) => layerOf(f) === 'domain')
    .flatMap((f) =>
      specifiersOf(f)
        .filter((s) => !/^\.{1,2}\//.test(s))
        .map((s) => `${rel(f)} → ${s}`),
    );
  t.same(impure, [], 'domain modules import only other modules of src/: no package, no node: module');
});

t.test('the domain is pure all the way down: no chain of imports from it loads a database, HTTP or I/O package', async (t) => {
  // node:net only for its address arithmetic (isIP, BlockList) in lib/networks.ts: it opens nothing.
  const ALLOWED = new Set(['node:net']);
  const reached = new Map<string, string>();
  const seen = new Set<string>();
  const visit = (f: string, via: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    const chain = via ? `${via} → ${rel(f)}` : rel(f);
    for (const s of specifiersOf(f)) {
      if (/^\.{1,2}\//.test(s)) visit(path.resolve(path.dirname(f), s.replace(/\.js$/, '.ts')), chain);
      else if (!ALLOWED.has(s)) reached.set(s, chain);
    }
  };
  for (const f of files.filter((f) => layerOf(f) === 'domain')) visit(f, '');
  t.ok(seen.size > files.filter((f) => layerOf(f) === 'domain').length, 'it follows imports out of the domain');
  t.same(Object.fromEntries(reached), {}, 'each package reached, with the chain that reaches it');
});
