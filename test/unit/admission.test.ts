import t from 'tap';
import { createAdmission } from '../../src/infrastructure/db/admission.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

t.test('never more than the limit at once, the rest in arrival order', async (t) => {
  const gate = createAdmission(2);
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const releases: (() => void)[] = [];
  const all = Array.from({ length: 6 }, (_, i) =>
    gate.run(async () => {
      started.push(i);
      running += 1;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => releases.push(resolve));
      running -= 1;
      return i;
    }),
  );
  await tick();
  t.same(started, [0, 1], 'two let in');
  t.same(gate.stats(), { running: 2, waiting: 4 });
  while (releases.length > 0 || started.length < 6) {
    releases.shift()?.();
    await tick();
  }
  t.same(await Promise.all(all), [0, 1, 2, 3, 4, 5], 'every one ran and answered');
  t.same(started, [0, 1, 2, 3, 4, 5], 'in arrival order');
  t.equal(most, 2, 'at most two at once');
  t.same(gate.stats(), { running: 0, waiting: 0 });
});

t.test('a failed transaction gives its slot to the next', async (t) => {
  const gate = createAdmission(1);
  const failing = gate.run(async () => {
    throw new Error('rolled back');
  });
  const next = gate.run(async () => 'ran');
  await t.rejects(failing, /rolled back/);
  t.equal(await next, 'ran');
  t.same(gate.stats(), { running: 0, waiting: 0 });
});

t.test('a limit must be a positive integer', async (t) => {
  t.throws(() => createAdmission(0), RangeError);
  t.throws(() => createAdmission(1.5), RangeError);
});
