import { existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { spool } from '../../src/infrastructure/spool.js';

const spools = () => new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('registry-spool-')));

async function* numbered(n: number, failAt?: number) {
  for (let i = 0; i < n; i++) {
    if (i === failAt) throw new Error('the upload broke off');
    yield { line: i + 2, text: `record ${i}\nwith a line break and ‘quotes’ \u2028` };
  }
}

const all = async <T>(items: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
};

t.test('a small source is held in memory and read back as it came', async (t) => {
  const before = spools();
  const held = await spool(numbered(3));
  t.equal(held.count, 3);
  t.same(spools(), before, 'no file made');
  t.same(await all(held.items()), await all(numbered(3)));
  await held.remove();
});

t.test('a larger one goes on to a private file, read back whole and in order, and removed', async (t) => {
  const before = spools();
  const held = await spool(numbered(1000), 2000);
  const made = [...spools()].filter((f) => !before.has(f));
  t.equal(made.length, 1, 'one folder of its own');
  const file = path.join(tmpdir(), made[0] ?? '', 'items.ndjson');
  t.equal(statSync(file).mode & 0o777, 0o600, 'readable by this user only');
  t.equal(held.count, 1000);
  t.same(await all(held.items()), await all(numbered(1000)), 'every item, in order, strings intact');
  t.same(await all(held.items()), await all(numbered(1000)), 'as often as asked');
  await held.remove();
  t.notOk(existsSync(file), 'removed');
});

t.test('a source that fails leaves no file behind and its error is thrown', async (t) => {
  const before = spools();
  await t.rejects(spool(numbered(1000, 900), 2000), { message: 'the upload broke off' });
  t.same(spools(), before);
});
