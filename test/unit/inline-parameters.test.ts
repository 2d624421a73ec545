import t from 'tap';
import { inlineParameters } from '../../src/infrastructure/db/client.js';

t.test('parameters become escaped literals, untyped like bound parameters', async (t) => {
  t.equal(inlineParameters('select $1, $2, $3', ['a', 42, true]), "select 'a', '42', 'true'");
  t.equal(inlineParameters('select $1', [null]), 'select NULL');
  t.equal(inlineParameters('select $1', ["O'Brien"]), "select 'O''Brien'", 'a quote is doubled');
  t.equal(inlineParameters('select $1', ['back\\slash']), "select  E'back\\\\slash'", 'a backslash makes an E-string');
  t.equal(inlineParameters('select $1', [Buffer.from([0xde, 0xad])]), "select '\\xdead'", 'bytes in hex');
  t.equal(inlineParameters('select $1', [['a', 'b']]), `select '{"a","b"}'`, 'an array as its text form');
});

t.test('$10 is the tenth parameter, not the first followed by 0', async (t) => {
  const values = Array.from({ length: 10 }, (_, i) => `v${i + 1}`);
  t.equal(inlineParameters('select $1, $10', values), "select 'v1', 'v10'");
});

t.test('no replacement inside strings, quoted identifiers, comments and dollar-quoted bodies', async (t) => {
  t.equal(inlineParameters(`select '$1', "$1", $1 -- $1\n`, ['x']), `select '$1', "$1", 'x' -- $1\n`);
  t.equal(inlineParameters('select /* $1 */ $1', ['x']), "select /* $1 */ 'x'");
  t.equal(inlineParameters("select $$ $1 $$, $tag$ $1 $tag$, $1, 'it''s $1'", ['x']), "select $$ $1 $$, $tag$ $1 $tag$, 'x', 'it''s $1'");
});

t.test('a parameter without a value is an error, not a silent NULL', async (t) => {
  t.throws(() => inlineParameters('select $2', ['only one']), /no value for parameter \$2/);
});
