import t from 'tap';
import { decodeUpload } from '../../src/http/transfer-files.js';

/** The problems decodeUpload finds in each record of an NDJSON file of `type`, as `column:code`. */
async function problemsOf(type: 'licences' | 'enforcement-actions', lines: object[]): Promise<string[][]> {
  const file = Buffer.from(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  async function* body() {
    yield file;
  }
  const found: string[][] = [];
  for await (const r of decodeUpload(body(), 'ndjson', type, 'GM0363', file.length)) {
    found.push((r.problems ?? []).map((p) => `${p.column}:${p.code}`));
  }
  return found;
}

t.test('an establishmentReference that is there but no text is invalid_type; one that is not there is required', async (t) => {
  const licence = { licenceNumber: 'EV-1', validFrom: '2016-01-01', statusHistory: [{ status: 'granted', effectiveDate: '2016-01-01' }] };
  const found = await problemsOf(
    'licences',
    [['E-1'], 7, { id: 'E-1' }, true, null, '', '   ', undefined, 'E-1'].map((establishmentReference, i) => ({
      externalReference: `L-${i}`,
      ...licence,
      establishmentReference,
    })),
  );
  t.same(
    found.map((p) => p.filter((c) => c.startsWith('establishmentReference:'))),
    [
      ['establishmentReference:invalid_type'],
      ['establishmentReference:invalid_type'],
      ['establishmentReference:invalid_type'],
      ['establishmentReference:invalid_type'],
      ['establishmentReference:required'],
      ['establishmentReference:required'],
      ['establishmentReference:required'],
      ['establishmentReference:required'],
      [],
    ],
    'a list, a number, an object, a boolean; null, empty, blank, left out; a reference',
  );
  t.same(found.at(-1), [], 'the licence with its reference has no problem at all');
});
