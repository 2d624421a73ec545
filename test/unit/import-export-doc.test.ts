import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { ESTABLISHMENT_KINDS, GROUNDS, LICENCE_RECORD_STATUSES, MEASURES, PENALTY_UNITS, STAGES } from '../../src/domain/codes.js';
import { COLUMNS, RECORD_TYPES } from '../../src/domain/transfer.js';

const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/import-export.md'), 'utf8');

t.test('docs/import-export.md lists every column of every record type', async (t) => {
  for (const type of RECORD_TYPES) {
    const section = doc.split(`**${type}**`)[1]?.split('**')[0] ?? '';
    for (const column of COLUMNS[type]) t.match(section, new RegExp(`\\| \`${column}\` +\\|`), `${type}: ${column}`);
  }
});

t.test('docs/import-export.md lists every code the columns accept', async (t) => {
  const lists = {
    kind: ESTABLISHMENT_KINDS,
    '`statusHistory` (status)': LICENCE_RECORD_STATUSES,
    measure: MEASURES,
    grounds: GROUNDS,
    stage: STAGES,
    penaltyUnit: PENALTY_UNITS,
  };
  for (const [name, codes] of Object.entries(lists)) {
    const label = name.startsWith('`') ? name : `\`${name}\``;
    const line = doc.split('\n').find((l) => l.startsWith(`- ${label}:`));
    t.ok(line, `a line for ${name}`);
    t.same(
      line
        ?.slice(line.indexOf(':') + 1)
        .split(',')
        .map((s) => s.trim().replace(/`/g, '')),
      [...codes],
      name,
    );
  }
});
