import { type FileHandle, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';

/** What a spool holds: its items, read back in their order as often as asked, and how to let them go. */
export interface Spool<T> {
  count: number;
  items(): AsyncIterable<T>;
  /** Lets go of its file, if it made one. Call it once the items are no longer needed, whatever happened. */
  remove(): Promise<void>;
}

const CHUNK_BYTES = 64 * 1024;

/**
 * The spool's disk failed it (full, out of descriptors, not writable): the service's fault and likely to
 * pass, never the request's. Answered 503 (src/http/plugins/problems.ts); the cause says what happened.
 */
export class SpoolUnavailable extends Error {
  constructor(cause: unknown) {
    super('the temporary file of a spool could not be written', { cause });
  }
}

/** Runs a file operation of the spool, its failure a SpoolUnavailable. */
async function onDisk<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    throw new SpoolUnavailable(err);
  }
}

/**
 * Reads `source` to its end and holds its items (each as JSON): in memory up to `memoryBytes`, the
 * rest in a file of its own under the system's temporary folder (mode 600) whose name is removed as
 * soon as it is open, so nothing is left behind however the process ends (even `kill -9`): the system
 * frees the file when its descriptor closes. For work that must not wait on a slow producer while
 * holding something scarce: an upload arriving at the sender's pace is read whole first, and only then
 * is a database connection taken (src/application/transfer/imports.ts).
 * An error of `source` lets go of what was held and is thrown; one of the disk, as a SpoolUnavailable.
 */
export async function spool<T>(source: AsyncIterable<T>, memoryBytes = 8 * 1024 * 1024): Promise<Spool<T>> {
  const held: string[] = [];
  let heldBytes = 0;
  let count = 0;
  let file: FileHandle | null = null;
  let pending: string[] = [];
  let pendingBytes = 0;
  let closed = false;
  const remove = async () => {
    if (!file || closed) return;
    closed = true;
    await file.close();
  };
  const flush = async () => {
    if (!file || pendingBytes === 0) return;
    const chunk = pending.join('');
    pending = [];
    pendingBytes = 0;
    const spilled = file;
    await onDisk(() => spilled.writeFile(chunk)); // the whole chunk, at the current position (write() may write part of it)
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
      file ??= await onDisk(unnamedFile);
      pending.push(line);
      pendingBytes += bytes;
      if (pendingBytes >= CHUNK_BYTES) await flush();
    }
    await flush();
  } catch (err) {
    await remove();
    throw err;
  }
  const spilled = file;
  return {
    count,
    async *items() {
      for (const line of held) yield JSON.parse(line) as T;
      if (spilled === null) return;
      // From the start each time, by position through the one descriptor (the file has no name).
      const buffer = Buffer.alloc(CHUNK_BYTES);
      const decoder = new StringDecoder('utf8');
      let position = 0;
      let rest = '';
      for (;;) {
        const { bytesRead } = await spilled.read(buffer, 0, CHUNK_BYTES, position);
        if (bytesRead === 0) break;
        position += bytesRead;
        const lines = (rest + decoder.write(buffer.subarray(0, bytesRead))).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) yield JSON.parse(line) as T;
      }
      rest += decoder.end();
      if (rest !== '') yield JSON.parse(rest) as T;
    },
    remove,
  };
}

/** A new file, readable and writable by this user only, open and already without a name. */
async function unnamedFile(): Promise<FileHandle> {
  const dir = await mkdtemp(path.join(tmpdir(), 'registry-spool-'));
  let handle: FileHandle | null = null;
  try {
    handle = await open(path.join(dir, 'items.ndjson'), 'wx+', 0o600);
    await rm(dir, { recursive: true, force: true });
    return handle;
  } catch (err) {
    await handle?.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
