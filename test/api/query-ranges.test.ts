import t from 'tap';
import { build, json, sample } from '../support/helper.js';

type Problem = { status: number; code: string; invalidParams?: { name: string; code: string }[] };

// A list filtered by a range whose end is before its start answered 200 with an empty page: a typo
// (`decisionDateTo=2019-01-01` for 2020) looked like "no actions". The statistics filters already
// answered 400 for it; every list with a range now does the same, with the same code at the end.
t.test('a range that ends before it starts is a 400 at its end, on every list with one', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const admin = await client('admin');
  const est = json<{ id: string }>(
    await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() }),
  );
  const made = await app.inject({
    method: 'POST',
    url: '/v1/enforcement-actions',
    headers: officer.auth,
    payload: sample.action(est.id, { decisionDate: '2020-03-01' }),
  });
  t.equal(made.statusCode, 201, made.body);

  const cases = [
    {
      url: '/v1/enforcement-actions',
      auth: officer.auth,
      from: 'decisionDateFrom',
      to: 'decisionDateTo',
      lo: '2020-03-01',
      hi: '2020-03-02',
    },
    { url: '/v1/reporting-attestations', auth: officer.auth, from: 'yearFrom', to: 'yearTo', lo: '2019', hi: '2020' },
    {
      url: '/v1/audit-trail',
      auth: admin.auth,
      from: 'occurredFrom',
      to: 'occurredUntil',
      // Compared as moments, not as text: ".5Z" sorts before "Z" but is later.
      lo: '2026-01-01T00:00:00Z',
      hi: '2026-01-01T00:00:00.5Z',
    },
  ];
  const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  for (const c of cases) {
    const reversed = await app.inject({ url: `${c.url}?${c.from}=${c.hi}&${c.to}=${c.lo}`, headers: c.auth });
    t.equal(reversed.statusCode, 400, `${c.url}: ${reversed.body}`);
    t.match(reversed.headers['content-type'], /^application\/problem\+json/);
    t.same(
      json<Problem>(reversed).invalidParams?.map((p) => [p.name, p.code]),
      [[c.to, `before_${snake(c.from)}`]],
      c.url,
    );

    for (const [from, to] of [
      [c.lo, c.lo],
      [c.lo, c.hi],
    ]) {
      const fine = await app.inject({ url: `${c.url}?${c.from}=${from}&${c.to}=${to}`, headers: c.auth });
      t.equal(fine.statusCode, 200, `${c.url} ${from}..${to}: ${fine.body}`);
    }

    // Listed beside the query's other problems, not instead of them.
    const both = await app.inject({ url: `${c.url}?${c.from}=${c.hi}&${c.to}=${c.lo}&pageSize=0`, headers: c.auth });
    t.same(
      json<Problem>(both)
        .invalidParams?.map((p) => p.name)
        .sort(),
      ['pageSize', c.to].sort(),
      `${c.url}: both listed`,
    );
    // An end that is itself invalid is named for what it is, with no guess about the order.
    const bad = await app.inject({ url: `${c.url}?${c.from}=${c.hi}&${c.to}=nonsense`, headers: c.auth });
    t.same(
      json<Problem>(bad).invalidParams?.map((p) => p.name),
      [c.to],
      `${c.url}: only the malformed end`,
    );
    t.not(json<Problem>(bad).invalidParams?.[0]?.code, `before_${snake(c.from)}`);
  }

  // The day of the one action: found with from = to, so the check does not cut a one-day range.
  const day = json<{ totalItems: number }>(
    await app.inject({ url: '/v1/enforcement-actions?decisionDateFrom=2020-03-01&decisionDateTo=2020-03-01', headers: officer.auth }),
  );
  t.equal(day.totalItems, 1);
});
