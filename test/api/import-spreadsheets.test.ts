import t from 'tap';
import { json } from '../support/helper.js';
import { EST_HEADER, setUp } from '../support/imports.js';

/**
 * What a spreadsheet does to a file an officer exported, edited and saves again (docs/import-export.md,
 * "Bad files"): what the service must read as the officer meant it, and what it must refuse rather than
 * store changed.
 */

const rows = [
  'XL-1,GM0363,Club Rood,club,Kade,1,,1012DK,Amsterdam,12345678,',
  'XL-2,GM0363,Huis Noord,private_house,Dijk,2,A,1015AB,Amsterdam,,',
];
const problemsOf = (job: { problems: { line: number; column: string | null; code: string }[] }) =>
  job.problems.map((p) => `${p.line}:${p.column}:${p.code}`);

t.test('a separator after the last column, on the header or on every line, is no column: the file is read as meant', async (t) => {
  const a = await setUp(t);
  for (const [what, file] of [
    ['on the header only', `${EST_HEADER},\n${rows.join('\n')}\n`],
    ['on every line', `${EST_HEADER},\n${rows.map((r) => `${r},`).join('\n')}\n`],
    ['two, on every line', `${EST_HEADER},,\n${rows.map((r) => `${r},,`).join('\n')}\n`],
  ] as const) {
    const dry = await a.importFile(file, 'recordType=establishments&dryRun=true');
    t.match(dry, { state: 'succeeded', rowsTotal: 2, counts: { created: 2, rejected: 0 } }, what);
    t.same(dry.problems, [], `${what}: no problems`);
  }
  const applied = await a.importFile(
    `${EST_HEADER};\n`.replaceAll(',', ';') + rows.map((r) => `${r.replaceAll(',', ';')};`).join('\n'),
    'recordType=establishments',
  );
  t.match(applied, { state: 'succeeded', counts: { created: 2 } }, 'the semicolon dialect alike, applied');
  const stored = json<{ items: { externalReference: string; kvkNumber: string | null; bagId: string | null }[] }>(
    await a.app.inject({ url: '/v1/establishments?pageSize=10', headers: a.officer.auth }),
  ).items.find((e) => e.externalReference === 'XL-1');
  t.match(stored, { kvkNumber: '12345678', bagId: null }, 'the last columns hold what the file holds, nothing shifted');
});

t.test('a value under a column without a name, an empty name between columns, or a record too short are still refused', async (t) => {
  const a = await setUp(t);
  const dry = await a.importFile(
    `${EST_HEADER},\n${rows[0]},Opmerking\n${rows[1]}\nXL-3,GM0363,Club,club,Kade,3,,1012DK,Amsterdam\n`,
    'recordType=establishments&dryRun=true',
  );
  t.same(
    problemsOf(dry),
    ['2:null:wrong_field_count', '4:null:wrong_field_count'],
    'a value past the named columns; nine fields of eleven',
  );
  t.match(dry.problems[0]?.reason, /12 fields, 11 named columns/);
  t.match(dry, { counts: { created: 1, rejected: 2 } }, 'the record that fits is read');

  const gap = await a.upload(`${EST_HEADER.replace(',kvkNumber', ',,kvkNumber')}\n`, 'recordType=establishments');
  t.equal(gap.statusCode, 400, 'an empty name between two columns');
  t.match(json(gap), { code: 'invalid-header', invalidParams: [{ name: '(empty)', code: 'unknown_column' }] });
});

t.test('a tab-delimited file (Excel "Text") is refused as such, whatever its cells hold', async (t) => {
  const a = await setUp(t);
  const tabbed = (r: string) => r.replaceAll(',', '\t');
  for (const [what, file] of [
    ['plain cells', [EST_HEADER, ...rows].map(tabbed).join('\r\n')],
    ['a quote in a cell', [EST_HEADER, ...rows, 'XL-3,GM0363,Club "Zon",club,Kade,3,,1012DK,Amsterdam,,'].map(tabbed).join('\r\n')],
  ] as const) {
    const res = await a.upload(file, 'recordType=establishments');
    t.equal(res.statusCode, 400, what);
    t.match(json(res), { code: 'invalid-header', invalidParams: [{ name: 'header', code: 'tab_separated' }] }, what);
  }
  const commas = await a.upload(
    [EST_HEADER, ...rows.map((r) => r.replace('Club Rood', 'Club\tRood'))].join('\n'),
    'recordType=establishments&dryRun=true',
  );
  t.equal(commas.statusCode, 202, 'a tab inside a CSV cell is the cell’s business, not the separator');
});

t.test('UTF-8 that a spreadsheet read as Windows-1252 and saved again is a problem of its cell, not a changed name', async (t) => {
  const a = await setUp(t);
  const created = await a.importFile(
    `${EST_HEADER}\nGB-1,GM0363,Café Noël – Zoë’s,club,Kade,1,,1012DK,Amsterdam,,\n`,
    'recordType=establishments',
  );
  t.match(created, { state: 'succeeded', counts: { created: 1 } }, 'the name as written, in UTF-8');
  // Its UTF-8 bytes read as Windows-1252 (what Excel shows of a UTF-8 file without a byte-order mark), saved again.
  const back = await a.importFile(
    `${EST_HEADER}\nGB-1,GM0363,CafÃ© NoÃ«l â€“ ZoÃ«â€™s,club,KadÃ©,1,,1012DK,Amsterdam,,\n`,
    'recordType=establishments',
  );
  t.same(problemsOf(back), ['2:name:garbled_text', '2:street:garbled_text'], 'each garbled cell, named');
  t.match(back.problems[0]?.reason, /UTF-8 text read as Windows-1252.*format=csv-excel/);
  t.match(back, { counts: { updated: 0, rejected: 1 } });
  const stored = json<{ items: { name: string }[] }>(await a.app.inject({ url: '/v1/establishments', headers: a.officer.auth })).items;
  t.same(
    stored.map((e) => e.name),
    ['Café Noël – Zoë’s'],
    'the stored name is unchanged',
  );
});

t.test('the two CSV dialects of an export have names of their own: only the Excel one is safe to open in Excel', async (t) => {
  const a = await setUp(t);
  const names = [];
  for (const format of ['csv', 'csv-excel', 'ndjson']) {
    names.push((await a.exportOf('establishments', format)).headers['content-disposition']);
  }
  t.same(names, [
    'attachment; filename="establishments-GM0363.csv"',
    'attachment; filename="establishments-GM0363.excel.csv"',
    'attachment; filename="establishments-GM0363.ndjson"',
  ]);
});

t.test('a job lists the records it updates and which columns change: a dry run shows what a spreadsheet altered', async (t) => {
  const a = await setUp(t);
  const licences = (...lines: string[]) =>
    ['externalReference,establishmentReference,licenceNumber,validFrom,validUntil,statusHistory', ...lines].join('\n');
  const actions = (...lines: string[]) =>
    [
      'externalReference,establishmentReference,measure,grounds,stage,decisionDate,fineAmountCents,penaltyAmountCents,penaltyUnit,penaltyMaximumCents,penaltyComplianceDeadline,penaltyForfeitedCents,closureStartDate,closureEndDate,legalBasis,caseReference',
      ...lines,
    ].join('\n');
  const created = await a.importFile(`${EST_HEADER}\n${rows.join('\n')}\n`, 'recordType=establishments');
  t.match(created, { counts: { created: 2 } });
  t.same(created.changes, [], 'a create is no change');
  t.match(await a.importFile(licences('L-1,XL-1,12-2016,2016-01-01,,granted:2016-01-01'), 'recordType=licences'), {
    counts: { created: 1 },
  });
  t.match(await a.importFile(actions('A-1,XL-1,warning,hygiene,decided,2019-05-01,,,,,,,,,,2019-08'), 'recordType=enforcement-actions'), {
    counts: { created: 1 },
  });

  // Saved again by a spreadsheet: a name edited on purpose, a KvK number that lost its last digit's precision.
  const edited = [rows[0]?.replace('Club Rood', 'Club Rood-Wit').replace('12345678', '12345670'), rows[1]];
  const dry = await a.importFile(`${EST_HEADER}\n${edited.join('\n')}\n`, 'recordType=establishments&dryRun=true');
  t.match(dry, { counts: { updated: 1, unchanged: 1 } });
  t.same(dry.changes, [{ line: 2, externalReference: 'XL-1', columns: ['name', 'kvkNumber'] }], 'the one record, its two columns');
  const applied = await a.importFile(`${EST_HEADER}\n${edited.join('\n')}\n`, 'recordType=establishments');
  t.same(applied.changes, dry.changes, 'applied: the same list');
  t.same(
    (await a.importFile(`${EST_HEADER}\n${edited.join('\n')}\n`, 'recordType=establishments')).changes,
    [],
    'once more: nothing changes',
  );

  // A row copied and edited where a new record was meant: the copy would update the original, and says so.
  const copied = await a.importFile(
    `${EST_HEADER}\n${edited.join('\n')}\n${edited[0]?.replace('Club Rood-Wit', 'Club Blauw')}\n`,
    'recordType=establishments&dryRun=true',
  );
  t.same(copied.changes, [{ line: 4, externalReference: 'XL-1', columns: ['name'] }], 'the copy, on its own line');

  // A licence number and a case reference that a spreadsheet took for dates.
  const licence = await a.importFile(licences('L-1,XL-1,dec-16,2016-01-01,,granted:2016-01-01'), 'recordType=licences&dryRun=true');
  t.same(licence.changes, [{ line: 2, externalReference: 'L-1', columns: ['licenceNumber'] }]);
  const action = await a.importFile(
    actions('A-1,XL-1,warning,hygiene,decided,2019-05-01,,,,,,,,,,aug-19'),
    'recordType=enforcement-actions&dryRun=true',
  );
  t.same(action.changes, [{ line: 2, externalReference: 'A-1', columns: ['caseReference'] }]);
  // An action moved to another establishment is no change but a refusal, as a PUT's.
  const moved = await a.importFile(
    actions('A-1,XL-2,warning,hygiene,decided,2019-05-01,,,,,,,,,,2019-08'),
    'recordType=enforcement-actions&dryRun=true',
  );
  t.match(moved, { counts: { unchanged: 0, rejected: 1 } });
  t.same(moved.changes, [], 'not listed as a change');
  t.match(moved.problems, [{ column: 'establishmentReference', code: 'immutable' }]);
  t.equal(moved.problems.length, 1, 'one problem');
});

t.test('what a spreadsheet makes of dates, numbers, codes and failed formulas is refused with what to write instead', async (t) => {
  const a = await setUp(t);
  t.match(await a.importFile(`${EST_HEADER}\n${rows[0]}\n`, 'recordType=establishments'), { counts: { created: 1 } });
  const dry = await a.importFile(
    [
      'externalReference,establishmentReference,measure,grounds,stage,decisionDate,fineAmountCents,penaltyAmountCents,penaltyUnit,penaltyMaximumCents,penaltyComplianceDeadline,penaltyForfeitedCents,closureStartDate,closureEndDate,legalBasis,caseReference',
      'S-1,XL-1,administrative_fine,hygiene,decided,1-3-2021,"1,5E+05",,,,,,,,,',
      'S-2,XL-1,administrative_fine,hygiene,decided,2021-03-01,€ 1.500,,,,,,,,#NAAM?,',
      'S-3,XL-1,warning,hygiene,decided,2021-03-01 00:00:00,,,,,,,,,Err:502,',
    ].join('\n'),
    'recordType=enforcement-actions&dryRun=true',
  );
  const reasons = Object.fromEntries(dry.problems.map((p) => [`${p.line}:${p.column}:${p.code}`, p.reason]));
  t.same(Object.keys(reasons).sort(), [
    '2:decisionDate:invalid_format',
    '2:fineAmountCents:invalid_type',
    '3:fineAmountCents:invalid_type',
    '3:legalBasis:spreadsheet_error',
    '4:decisionDate:invalid_format',
    '4:legalBasis:spreadsheet_error',
  ]);
  t.match(reasons['2:decisionDate:invalid_format'], /YYYY-MM-DD, a day that exists, for example 2021-03-01/, 'a date says how to write it');
  t.match(
    reasons['2:decisionDate:invalid_format'],
    /if 1-3-2021 is day-month-year, as a Dutch spreadsheet writes it: 2021-03-01\)$/,
    'and which one',
  );
  t.notMatch(reasons['4:decisionDate:invalid_format'], /day-month-year/, 'only for a date written day-month-year');
  t.match(reasons['2:fineAmountCents:invalid_type'], /digits only.*euro cents: 150000 for € 1\.500,00/, 'an amount says how to write it');
  const odd = await a.importFile(
    `${EST_HEADER}\nXH-1,GM0363,Club Rood,club,Kade,12A,,1012DK,Amsterdam,,\nXH-2,GM0363,Club Rood,club,Kade,1234567890123456,,1012DK,Amsterdam,,\n`,
    'recordType=establishments&dryRun=true',
  );
  t.same(
    odd.problems.map((p) => [p.line, p.column, p.reason]),
    [
      [
        2,
        'houseNumber',
        'must be a whole number in digits only: no separators, decimals, spaces or currency; a letter or an addition (12A, 12-3) goes in houseNumberAddition',
      ],
      [3, 'houseNumber', 'must be a whole number of at most 15 digits'],
    ],
    'a house number says where its letter goes, and a long number is not told to use digits',
  );
  // A case system's fixed-width export pads its columns: the spaces are not part of a code, number or date.
  const padded = await a.importFile(
    `${EST_HEADER}\nXP-1   , GM0363 ,Club Rood,club   ,Kade, 12 ,,1012DK  ,Amsterdam,,\n`,
    'recordType=establishments&dryRun=true',
  );
  t.match(padded, { counts: { created: 1, rejected: 0 } }, JSON.stringify(padded.problems));
  t.match(reasons['3:legalBasis:spreadsheet_error'], /formula that failed/, 'a failed formula is named as one');

  const kvk = await a.importFile(
    `${EST_HEADER}\nXL-1,GM0363,Club Rood,club,Kade,1,,1012DK,Amsterdam,1234567,363010000123456\n`,
    'recordType=establishments&dryRun=true',
  );
  t.same(
    kvk.problems.map((p) => `${p.column}: ${p.reason}`),
    ['kvkNumber: must be 8 digits, a leading 0 included', 'bagId: must be 16 digits, a leading 0 included'],
    'a number that lost its leading 0',
  );
});

t.test('a cell of spaces only is an empty cell: an optional value absent, a required one required', async (t) => {
  const a = await setUp(t);
  const file = [
    EST_HEADER,
    'SP-1,GM0363,Club Rood,club,Kade,1,  ,1012DK,Amsterdam, ,',
    'SP-2,GM0363,   ,club,Kade,2,,1012DK,Amsterdam,,',
    ' , , ,  , , , , , , , ', // a line of spaces only: an empty line, as ;;;; is
  ].join('\n');
  const job = await a.importFile(file, 'recordType=establishments&mode=row-by-row');
  t.match(job, { counts: { created: 1, rejected: 1 } });
  t.same(problemsOf(job), ['3:name:required'], 'the name of spaces is missing, said as for an empty cell');
  const stored = json<{
    items: { externalReference: string; address: { houseNumberAddition: string | null }; kvkNumber: string | null }[];
  }>(await a.app.inject({ url: '/v1/establishments', headers: a.officer.auth })).items;
  t.match(stored, [{ externalReference: 'SP-1', address: { houseNumberAddition: null }, kvkNumber: null }]);
});

t.test('texts a spreadsheet heuristic could misjudge are stored as written, and their export imports again, unchanged', async (t) => {
  const a = await setUp(t);
  // Accented capitals before typographic punctuation (no garbled text), and a street that is a spreadsheet's error value.
  const records = [
    ['CAFÉ’S HOEK', 'Singel'],
    ['«CAFÉ» ROOD', 'Singel'],
    ['CAFÉ\u00A0NOIR', 'Singel'],
    ['Chez Marie à\u00A0« La Rose »', 'Singel'],
    ['Club Rood', '#N/B'],
  ];
  for (const [i, [name, street]] of records.entries()) {
    const res = await a.app.inject({
      method: 'POST',
      url: '/v1/establishments',
      headers: a.officer.auth,
      payload: {
        municipalityCode: 'GM0363',
        name,
        kind: 'club',
        address: { street, houseNumber: i + 1, postalCode: '1015AB', city: 'Amsterdam' },
        externalReference: `RT-${i + 1}`,
      },
    });
    t.equal(res.statusCode, 201, `${name}, ${street}: stored through the API`);
  }
  for (const format of ['csv', 'csv-excel']) {
    const exported = await a.exportOf('establishments', format);
    t.equal(exported.statusCode, 200);
    const again = await a.importFile(exported.rawPayload, 'recordType=establishments&dryRun=true');
    t.match(again, { state: 'succeeded', counts: { unchanged: records.length, rejected: 0 } }, `${format}: every record unchanged`);
    t.same(again.problems, [], `${format}: no problems`);
  }
});
