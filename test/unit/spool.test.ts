import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { spool } from '../../src/infrastructure/spool.js';

const spools = () => new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('registry-spool-')));
/** This process's open descriptors on spool files (Linux: /proc names each one's target). */
const openSpoolFiles = () =>
  readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return { fd: path.join('/proc/self/fd', fd), target: readlinkSync(path.join('/proc/self/fd', fd)) };
      } catch {
        return null; // the descriptor readdir itself used, closed by now
      }
    })
    .filter((f) => f?.target.includes('registry-spool-'));

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

t.test('a larger one goes on to a private file without a name, read back whole and in order, and closed', async (t) => {
  const before = spools();
  const held = await spool(numbered(5000), 2000); // some 350 KB: several chunks, characters split across them
  t.same(spools(), before, 'no folder or file left under its name while held: a killed process leaves nothing');
  const [file, ...more] = openSpoolFiles();
  t.equal(more.length, 0, 'one file of its own');
  t.match(file?.target, / \(deleted\)$/, 'open, its name already removed');
  t.equal(statSync(file?.fd ?? '').mode & 0o777, 0o600, 'readable by this user only');
  t.equal(held.count, 5000);
  t.same(await all(held.items()), await all(numbered(5000)), 'every item, in order, strings intact');
  t.same(await all(held.items()), await all(numbered(5000)), 'as often as asked');
  await held.remove();
  t.same(openSpoolFiles(), [], 'closed, so the system frees it');
  await held.remove();
});

t.test('a source that fails leaves no file behind and its error is thrown', async (t) => {
  const before = spools();
  await t.rejects(spool(numbered(1000, 900), 2000), { message: 'the upload broke off' });
  t.same(spools(), before);
  t.same(openSpoolFiles(), [], 'its file closed');
});
