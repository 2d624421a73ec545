import t from 'tap';
import { csvField, protectFormula, toCsv, unprotectFormula, wantsCsv } from '../../src/lib/csv.js';

t.test('text cells starting with a formula character get a leading quote; numbers stay numbers', async (t) => {
  for (const prefix of ['=', '+', '-', '@', '\t', '\r']) {
    const cell = csvField(`${prefix}1+1`);
    t.ok(cell === `'${prefix}1+1` || cell === `"'${prefix}1+1"`, `${JSON.stringify(prefix)} → ${JSON.stringify(cell)}`);
  }
  t.equal(csvField(-5), '-5', 'a negative number is a number');
  t.equal(csvField(-1.25), '-1.25');
  t.equal(csvField('-'), "'-", 'a text that is only a minus is text');
  t.equal(csvField('Amsterdam'), 'Amsterdam');
  t.equal(csvField('a=b'), 'a=b', 'only the first character counts');
  t.equal(csvField('=a,"b"'), `"'=a,""b"""`, 'quoted as RFC 4180 after neutralising');
  t.equal(toCsv(['name', 'n'], [['@x', -3]]), "name,n\r\n'@x,-3\r\n");
});

t.test('a text that is a spreadsheet error value is protected as a formula is, and reads back as itself', async (t) => {
  for (const text of ['#N/B', '#n/a', '#REF!', '#NAAM?', 'Err:502', "'#N/B", "''=1", '=1', '-', "'x", '#1 Club', 'N/B']) {
    const cell = protectFormula(text);
    t.equal(unprotectFormula(cell), text, `${JSON.stringify(text)} → ${JSON.stringify(cell)} → itself`);
  }
  t.equal(protectFormula('#N/B'), "'#N/B", 'Excel would show #N/B as its error value');
  t.equal(protectFormula('#1 Club'), '#1 Club', 'a text that only starts with # is text');
  t.equal(unprotectFormula("'x"), "'x", 'a quote before ordinary text is the text');
});

t.test('Accept: the most specific media range decides each type’s weight, and q is case-insensitive (RFC 9110 §12.5.1)', async (t) => {
  const cases: [string | undefined, boolean][] = [
    [undefined, false],
    ['*/*', false],
    ['application/json', false],
    ['text/csv', true],
    ['text/csv;charset=utf-8', true],
    ['text/csv, application/json', true],
    ['application/json, text/csv;q=0.5', false],
    ['text/csv;q=0', false],
    // A weight parameter named Q is q (§12.4.2): JSON is preferred here.
    ['text/csv;Q=0.1, application/json', false],
    // application/json;q=0 refuses JSON whatever */* says: CSV is the acceptable answer.
    ['text/csv;q=0.5, application/json;q=0, */*', true],
    ['application/json;q=0, */*', true],
    // text/* covers text/csv and not JSON.
    ['text/*', true],
    ['text/*;q=0.5, application/json', false],
  ];
  for (const [accept, csv] of cases) t.equal(wantsCsv(accept), csv, `${accept ?? '(none)'} → ${csv ? 'CSV' : 'JSON'}`);
});

t.test('the Excel dialect: a byte-order mark, semicolons, and a field quoted when it holds one', async (t) => {
  const rows = [['x;y', 1, 'a,b', 'say "hi"']];
  t.equal(toCsv(['name', 'n', 'list', 'quote'], rows), 'name,n,list,quote\r\nx;y,1,"a,b","say ""hi"""\r\n', 'RFC 4180: commas quoted');
  t.equal(
    toCsv(['name', 'n', 'list', 'quote'], rows, 'csv-excel'),
    '\uFEFFname;n;list;quote\r\n"x;y";1;a,b;"say ""hi"""\r\n',
    'Excel: semicolons quoted, commas not',
  );
  t.equal(csvField('=1;2', ';'), `"'=1;2"`, 'formula neutralised, then quoted for the delimiter');
});
