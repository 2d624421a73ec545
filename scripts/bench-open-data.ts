/**
 * `npm run bench:open-data`: what the joint protection of open data (domain/joint-suppression.ts)
 * costs as the registry grows, and what it costs the service's other requests.
 *
 * For tables of year × municipality × licence status × measure (5 years, 2 × 4, counts drawn like
 * real ones: half zeros, a third small, the rest larger; fixed seed), it times protectCube in this
 * thread and through protectOffThread (the worker the service uses), and for each the longest
 * stall of this thread's event loop meanwhile (the longest gap between ticks of a 1 ms timer): what
 * every other request of the service would wait.
 *
 * BENCH_MUNICIPALITIES (comma list, default 10,25,50,100) chooses the sizes; every Dutch
 * municipality, 342, takes minutes per run.
 */
import { cpus, loadavg } from 'node:os';
import { protectOffThread } from '../src/application/statistics/open-data.js';
import { type BaseTable, protectCube } from '../src/domain/joint-suppression.js';

const YEARS = 5;
const sizesOf = (municipalities: number) => [YEARS, municipalities, 2, 4];

function tableOf(municipalities: number): BaseTable {
  const sizes = sizesOf(municipalities);
  let seed = 20261203;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const values = Array.from({ length: sizes.reduce((a, b) => a * b, 1) }, () => {
    const r = random();
    return r < 0.5 ? 0 : r < 0.8 ? 1 + Math.floor(random() * 4) : 5 + Math.floor(random() * 30);
  });
  return { sizes, values };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `work`, timing it and the longest gap between ticks of a 1 ms timer meanwhile: the event loop's longest stall (ms). */
async function measure<T>(work: () => Promise<T> | T): Promise<{ ms: number; stallMs: number; result: T }> {
  let last = performance.now();
  let stallMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 1);
  await sleep(20);
  stallMs = 0;
  const began = performance.now();
  const result = await work();
  const ms = performance.now() - began;
  await sleep(20); // the ticker's next tick records the last stall
  clearInterval(ticker);
  return { ms, stallMs, result };
}

const counts = (process.env.BENCH_MUNICIPALITIES ?? '10,25,50,100').split(',').map(Number);
console.log(`open-data protection: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load ${loadavg()[0]?.toFixed(2)}`);
console.log('municipalities  base cells  audit rounds  in this thread: ms (loop stall ms)  in a worker: ms (loop stall ms)');
for (const n of counts) {
  const table = tableOf(n);
  const here = await measure(() => protectCube(table, 5));
  const worker = await measure(() => protectOffThread(table, 5, () => false));
  const same = JSON.stringify([...here.result.groupings.values()].map((g) => g.cells.map((c) => c.suppressed)));
  const alike = same === JSON.stringify([...worker.result.groupings.values()].map((g) => g.cells.map((c) => c.suppressed)));
  if (!alike) throw new Error(`${n} municipalities: the worker's suppression pattern differs`);
  console.log(
    [
      String(n).padStart(14),
      String(table.values.length).padStart(11),
      String(here.result.auditRounds).padStart(13),
      `${here.ms.toFixed(0)} (${here.stallMs.toFixed(0)})`.padStart(36),
      `${worker.ms.toFixed(0)} (${worker.stallMs.toFixed(0)})`.padStart(33),
    ].join(' '),
  );
}
