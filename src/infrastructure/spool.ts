import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** What a spool holds: its items, read back in their order as often as asked, and how to let them go. */
export interface Spool<T> {
  count: number;
  items(): AsyncIterable<T>;
  /** Removes its file, if it made one. Call it once the items are no longer needed, whatever happened. */
  remove(): Promise<void>;
}

/**
 * Reads `source` to its end and holds its items (each as JSON): in memory up to `memoryBytes`, the
 * rest in a file of its own under the system's temporary folder (mode 600). For work that must not
 * wait on a slow producer while holding something scarce: an upload arriving at the sender's pace is
 * read whole first, and only then is a database connection taken (src/application/transfer/imports.ts).
 * An error of `source` removes what was held and is thrown.
 */
export async function spool<T>(source: AsyncIterable<T>, memoryBytes = 8 * 1024 * 1024): Promise<Spool<T>> {
  const held: string[] = [];
  let heldBytes = 0;
  let count = 0;
  let file: { dir: string; path: string; out: WriteStream } | null = null;
  let failure: Error | null = null;
  const remove = async () => {
    if (!file) return;
    file.out.destroy();
    await rm(file.dir, { recursive: true, force: true });
  };
  try {
    for await (const item of source) {
      const line = `${JSON.stringify(item)}\n`;
      count += 1;
      const bytes = Buffer.byteLength(line);
      if (!file && heldBytes + bytes <= memoryBytes) {
        held.push(line);
        heldBytes += bytes;
        continue;
      }
      if (!file) {
        const dir = await mkdtemp(path.join(tmpdir(), 'registry-spool-'));
        const out = createWriteStream(path.join(dir, 'items.ndjson'), { mode: 0o600 });
        // A write that fails (a full disk) is thrown at the next item or the end; a stream destroyed
        // by remove() fails its queued writes, which nothing waits for any more.
        out.on('error', (err) => {
          failure ??= err;
        });
        file = { dir, path: path.join(dir, 'items.ndjson'), out };
      }
      if (failure) throw failure;
      if (!file.out.write(line)) await once(file.out, 'drain');
    }
    if (failure) throw failure;
    if (file) {
      const { out } = file;
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    }
  } catch (err) {
    await remove();
    throw err;
  }
  const spilled = file?.path ?? null;
  return {
    count,
    async *items() {
      for (const line of held) yield JSON.parse(line) as T;
      if (!spilled) return;
      const lines = createInterface({ input: createReadStream(spilled, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
      for await (const line of lines) if (line !== '') yield JSON.parse(line) as T;
    },
    remove,
  };
}
