import fc from 'fast-check';
import t from 'tap';
import { DEEPEST_READ, REPEATED_MEMBERS_NAMED, repeatedMembers } from '../../src/lib/json.js';

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
    ['{"": 1, "": 2}', ['(empty)']],
    ['{"":{"measure":1,"measure":2}}', ['(empty).measure']], // not the top-level measure
    ['"text"', []],
    ['[1, "a", {"k": [true, null]}, {"k": 1, "k": 2}]', ['3.k']],
  ];
  for (const [text, expected] of cases) t.same(repeatedMembers(text), expected, text);
});

t.test('what it reads and answers is bounded, whatever is sent (a review found 1 MB made 400 MB of paths)', async (t) => {
  // A member repeated at every one of 58,000 levels: each path as long as its depth.
  const depth = 58_000;
  const text = `${'{"a":1,"a":1,"b":'.repeat(depth)}1${'}'.repeat(depth)}`;
  JSON.parse(text);
  const found = repeatedMembers(text);
  t.equal(found.length, REPEATED_MEMBERS_NAMED, 'at most ten named');
  t.ok(
    found.every((path) => path.split('.').length <= DEEPEST_READ),
    'none deeper than it reads',
  );
  t.same(found.slice(0, 2), ['a', 'b.a']);
  // Beyond the depth read nothing is named; the containers still close in step, so later members are read.
  const deep = `{"x":${'['.repeat(DEEPEST_READ + 5)}{"a":1,"a":2}${']'.repeat(DEEPEST_READ + 5)},"y":1,"y":2}`;
  t.same(repeatedMembers(deep), ['y']);
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
      return JSON.stringify(repeatedMembers(text)) === JSON.stringify([name || '(empty)']);
    }),
  );
  t.pass('both properties held');
});
