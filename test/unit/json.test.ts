import fc from 'fast-check';
import t from 'tap';
import { repeatedMembers } from '../../src/lib/json.js';

t.test('repeatedMembers names each member sent twice in one object, by its path', async (t) => {
  const cases: [string, string[]][] = [
    ['{"measure":"warning","stage":"decided","measure":"closure"}', ['measure']],
    ['{"a":1,"b":{"c":1,"c":2},"d":[{"e":1},{"e":1,"e":2}]}', ['b.c', 'd.1.e']],
    ['{"a":1,"\\u0061":2}', ['a']], // an escaped name is the name it decodes to
    ['{"a":1,"a":2,"a":3}', ['a']],
    ['{"a":{"x":1},"b":{"x":1}}', []],
    ['{"a":"{\\"a\\":1,\\"a\\":2}","b":"a"}', []], // names inside a string are text
    ['[{"a":1},{"a":2}]', []],
    ['{"a":[],"b":{},"c":[["x","y"],{}],"a2":"\\\\","d":1}', []],
    ['{"": 1, "": 2}', ['']],
    ['"text"', []],
    ['[1, "a", {"k": [true, null]}, {"k": 1, "k": 2}]', ['3.k']],
  ];
  for (const [text, expected] of cases) t.same(repeatedMembers(text), expected, text);
});

t.test('no JSON.stringify output has a repeated member; one repeated by hand is found, wherever it is', async (t) => {
  fc.assert(
    fc.property(
      fc.jsonValue(),
      (value) => repeatedMembers(JSON.stringify(value)).length === 0 && repeatedMembers(JSON.stringify(value, null, 2)).length === 0,
    ),
  );
  fc.assert(
    fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }), fc.nat(), (object, pick) => {
      const names = Object.keys(object);
      const name = names[pick % names.length] as string;
      // The same member once more at the end: JSON.parse keeps this one; the text is still valid JSON.
      const text = `${JSON.stringify(object).slice(0, -1)},${JSON.stringify(name)}:0}`;
      JSON.parse(text);
      return JSON.stringify(repeatedMembers(text)) === JSON.stringify([name]);
    }),
  );
  t.pass('both properties held');
});
