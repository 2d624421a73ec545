import t from 'tap';
import { build, json } from '../support/helper.js';

type Operation = { description?: string; responses?: Record<string, { content?: Record<string, unknown> }> };

// The summary's description ended in the shared counting-rule text, which says "Send `Accept:
// text/csv` (or use the `/csv` path)"; the summary has neither (JSON only, /summary/csv is a 404).
t.test('an operation whose description offers CSV answers text/csv', async (t) => {
  const { app, client } = await build(t);
  const doc = json<{ paths: Record<string, Record<string, Operation>> }>(await app.inject({ url: '/v1/openapi.json' }));
  let offering = 0;
  for (const [p, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      if (!op.responses) continue;
      const offers = /text\/csv|`\/csv` path/.test(op.description ?? '');
      if (!offers) continue;
      offering += 1;
      t.ok(op.responses['200']?.content?.['text/csv'], `${method} ${p} offers CSV in its description and answers it`);
    }
  }
  t.ok(offering >= 6, `the check met the operations that offer CSV (${offering}; six when it was written)`);
  const analyst = await client('analyst');
  const summary = await app.inject({
    url: '/v1/statistics/enforcement-actions/summary',
    headers: { ...analyst.auth, accept: 'text/csv' },
  });
  t.same(
    [summary.statusCode, summary.headers['content-type']],
    [406, 'application/problem+json; charset=utf-8'],
    'the summary is JSON only, and says so to a client that takes CSV only',
  );
  t.equal((await app.inject({ url: '/v1/statistics/enforcement-actions/summary/csv', headers: analyst.auth })).statusCode, 404);
});
