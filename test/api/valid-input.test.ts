import fc from 'fast-check';
import t from 'tap';
import { build, json, sample } from '../support/helper.js';
import { checkResponse } from '../support/openapi.js';

/**
 * The other side of hostile-input.test.ts: generated valid requests, with unusual but allowed
 * text (any grapheme, up to the length limits) and amounts, are accepted and answered as the
 * document says.
 */
t.test('valid input, however unusual, is accepted', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const text = (max: number) =>
    fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: max })
      // The text rule (src/http/schemas/common.ts): a visible character, and no NUL or line separator.
      .filter((s) => /[^\p{White_Space}\p{Cf}]/u.test(s) && !s.includes('\u0000') && !/[\u2028\u2029]/.test(s));
  const establishment = fc.record({
    municipalityCode: fc.constant('GM0363'),
    name: text(200),
    kind: fc.constantFrom('window_brothel', 'club', 'private_house', 'escort_agency', 'massage_parlour', 'home_based', 'other'),
    address: fc.record({
      street: text(120),
      houseNumber: fc.integer({ min: 1, max: 99999 }),
      houseNumberAddition: fc.option(fc.stringMatching(/^[A-Za-z0-9]{1,4}$/), { nil: undefined }),
      postalCode: fc.stringMatching(/^[1-9][0-9]{3}[A-Z]{2}$/),
      city: text(80),
    }),
    kvkNumber: fc.option(fc.stringMatching(/^[0-9]{8}$/)),
    bagId: fc.option(fc.stringMatching(/^[0-9]{16}$/), { nil: undefined }),
  });
  const failures: string[] = [];
  await fc.assert(
    fc.asyncProperty(establishment, fc.integer({ min: 1, max: 500_000_000 }), async (body, amountCents) => {
      const created = await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: body });
      if (created.statusCode !== 201) {
        failures.push(`establishment ${JSON.stringify(body).slice(0, 200)} → ${created.statusCode} ${created.body.slice(0, 300)}`);
        return true;
      }
      failures.push(...checkResponse('POST', '/v1/establishments', 201, created.headers['content-type'] as string, created.body));
      const est = json(created);
      if (est.name !== body.name.trim().normalize('NFC')) failures.push(`name came back as ${JSON.stringify(est.name)}`);
      const action = await app.inject({
        method: 'POST',
        url: '/v1/enforcement-actions',
        headers: officer.auth,
        payload: sample.action(est.id as string, { fine: { amountCents } }),
      });
      if (action.statusCode !== 201) failures.push(`action with ${amountCents} cents → ${action.statusCode} ${action.body.slice(0, 300)}`);
      else failures.push(...checkResponse('POST', '/v1/enforcement-actions', 201, action.headers['content-type'] as string, action.body));
      return true;
    }),
    { numRuns: Number(process.env.FUZZ_VALID_RUNS ?? 100) },
  );
  t.same(failures.slice(0, 10), [], 'every valid request was accepted and answered as documented');
});
