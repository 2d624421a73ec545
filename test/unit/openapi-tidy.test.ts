import t from 'tap';
import { tidySchemas } from '../../src/http/plugins/openapi.js';

// tidySchemas (src/http/plugins/openapi.ts) once re-serialised the whole document for every rename and
// every "is it referenced" check (3.3 s of the first request for the document). Its faster form must
// give what that one gave: here that version, kept as the oracle, against the new one on documents
// made to reach its corners (renames of renames, merges that depend on earlier merges, chains of
// schemas nothing uses, references from outside the schemas).
type Json = Record<string, unknown>;
const REF = '#/components/schemas/';

function oracle(input: Json): Json {
  let doc = structuredClone(input);
  const renameRefs = (d: Json, from: string, to: string): Json =>
    JSON.parse(JSON.stringify(d).split(`"${REF}${from}"`).join(`"${REF}${to}"`));
  const referenced = (d: Json, name: string) => JSON.stringify(d).includes(`"${REF}${name}"`);
  const schemas = () => ((doc.components as Json).schemas ?? {}) as Record<string, unknown>;
  const normal = (v: unknown) => JSON.stringify(v).replace(/(#\/components\/schemas\/\w+?)Input"/g, '$1"');
  for (const name of Object.keys(schemas())) {
    const base = name.endsWith('Input') ? name.slice(0, -'Input'.length) : undefined;
    if (base && base in schemas() && normal(schemas()[name]) === normal(schemas()[base])) {
      delete schemas()[name];
      doc = renameRefs(doc, name, base);
    }
  }
  for (let removed = true; removed; ) {
    removed = false;
    for (const name of Object.keys(schemas())) {
      const { [name]: _self, ...rest } = schemas();
      if (!referenced({ ...doc, components: { ...(doc.components as Json), schemas: rest } }, name)) {
        delete schemas()[name];
        removed = true;
      }
    }
  }
  for (const name of Object.keys(schemas())) {
    const base = name.endsWith('Input') ? name.slice(0, -'Input'.length) : undefined;
    if (base && !(base in schemas())) {
      const s = schemas();
      s[base] = s[name];
      delete s[name];
      doc = renameRefs(doc, name, base);
    }
  }
  const sorted = Object.fromEntries(Object.entries(schemas()).sort(([a], [b]) => a.localeCompare(b)));
  return { ...doc, components: { ...(doc.components as Json), schemas: sorted } };
}

const ref = (name: string) => ({ $ref: `${REF}${name}` });
const documentWith = (schemas: Json, used: string[], components: Json = {}): Json => ({
  openapi: '3.0.3',
  paths: Object.fromEntries(
    used.map((name, i) => [`/p${i}`, { get: { responses: { 200: { content: { 'application/json': { schema: ref(name) } } } } } }]),
  ),
  components: { ...components, schemas },
});

const cases: Record<string, Json> = {
  'an input the same as its output is merged into it, and references follow': documentWith(
    {
      Thing: { type: 'object', properties: { a: { type: 'string' } } },
      ThingInput: { type: 'object', properties: { a: { type: 'string' } } },
    },
    ['Thing', 'ThingInput'],
  ),
  'an input unlike its output is kept': documentWith({ Thing: { type: 'string' }, ThingInput: { type: 'number' } }, [
    'Thing',
    'ThingInput',
  ]),
  'a chain nothing uses goes whole; a schema referring only to itself goes': documentWith(
    { Used: { type: 'string' }, A: { items: ref('B') }, B: { items: ref('C') }, C: { type: 'string' }, Self: { items: ref('Self') } },
    ['Used'],
  ),
  'a schema used only from another component (a response) stays': documentWith({ Problem: { type: 'object' } }, [], {
    responses: { Bad: { content: { 'application/problem+json': { schema: ref('Problem') } } } },
  }),
  'input-only names ending in Input twice: each reference keeps its own schema': documentWith(
    { FooInput: { type: 'number' }, FooInputInput: { type: 'string' } },
    ['FooInput', 'FooInputInput'],
  ),
  'a merge that depends on an earlier merge': documentWith(
    {
      FooInput: { type: 'string' },
      FooInputInput: { type: 'string' },
      Bar: { items: ref('FooInput') },
      BarInput: { items: ref('FooInputInput') },
    },
    ['FooInput', 'Bar', 'BarInput'],
  ),
  'a reference inside a longer string is not a reference': documentWith(
    { Kept: { type: 'string' }, Gone: { description: `see ${REF}Kept and #/components/schemas/Gone/x` } },
    ['Kept'],
  ),
};

for (const [name, doc] of Object.entries(cases)) {
  t.test(name, async (t) => {
    const before = JSON.stringify(doc);
    const tidied = tidySchemas(doc);
    t.equal(JSON.stringify(tidied), JSON.stringify(oracle(doc)), 'the same document, in the same order, as the re-serialising version');
    t.equal(JSON.stringify(doc), before, 'the input is left as it was');
  });
}

t.test('the oracle is not trivially equal: the cases change their documents', async (t) => {
  const changed = Object.values(cases).filter((doc) => JSON.stringify(tidySchemas(doc)) !== JSON.stringify(doc)).length;
  t.ok(changed >= 5, `${changed} of ${Object.keys(cases).length} documents are changed by tidying`);
});
