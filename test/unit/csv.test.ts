import t from 'tap';
import { csvField, toCsv } from '../../src/lib/csv.js';

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
