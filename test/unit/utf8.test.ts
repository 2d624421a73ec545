import t from 'tap';
import { decodeUpload } from '../../src/http/transfer-files.js';
import { firstInvalidUtf8Byte, lastCharacterStart, lineBreaks, looksLikeMisreadUtf8 } from '../../src/lib/utf8.js';

const HEADER = 'externalReference,municipalityCode,name,kind,street,houseNumber,houseNumberAddition,postalCode,city,kvkNumber,bagId';

t.test('firstInvalidUtf8Byte finds the first byte that is not UTF-8', async (t) => {
  const bytes = (...parts: (string | number[])[]) =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
  t.equal(firstInvalidUtf8Byte(bytes('Café ☕ 😀')), -1, 'valid text');
  t.equal(firstInvalidUtf8Byte(bytes('a\uFFFDb')), -1, 'a U+FFFD that is in the text is valid');
  t.equal(firstInvalidUtf8Byte(bytes('Caf', [0xe9], 'x')), 3, 'a Windows-1252 é');
  t.equal(firstInvalidUtf8Byte(bytes('\uFFFD', [0xff])), 3, 'after a real U+FFFD');
  t.equal(firstInvalidUtf8Byte(bytes('ab', [0xe2, 0x98])), 2, 'a character cut off at the end, from its first byte');
  t.equal(firstInvalidUtf8Byte(bytes('ab', [0xc0, 0xaf])), 2, 'an overlong encoding');
  t.equal(firstInvalidUtf8Byte(bytes('ab', [0xed, 0xa0, 0x80])), 2, 'an encoded surrogate');
  // The decoder drops a leading byte-order mark from its output: the offsets still count its three bytes.
  t.equal(firstInvalidUtf8Byte(bytes([0xef, 0xbb, 0xbf], 'ab', [0xe9])), 5, 'after a byte-order mark');
  t.equal(firstInvalidUtf8Byte(bytes([0xef, 0xbb, 0xbf])), -1, 'a byte-order mark alone is valid');
});

t.test('firstInvalidUtf8Byte agrees with a strict decoder on random bytes, valid or not', async (t) => {
  const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let seed = 20261203;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed >>> 12; // the high bits: a linear congruential generator's low bits repeat quickly
  };
  const samples = ['é', '☕', '😀', 'a', '\uFFFD', '\uFEFF'];
  let disagreements = 0;
  let invalid = 0;
  for (let n = 0; n < 2000; n++) {
    // Mostly valid text, sometimes with one stray byte: both kinds are asked.
    const text = Array.from({ length: next() % 12 }, () => samples[next() % samples.length]).join('');
    const bytes = Buffer.from(text);
    const mixed = next() % 3 === 0 ? Buffer.concat([bytes, Buffer.from([next() % 256])]) : bytes;
    let valid = true;
    try {
      strict.decode(mixed);
    } catch {
      valid = false;
    }
    const at = firstInvalidUtf8Byte(mixed);
    if (!valid) invalid++;
    if (valid !== (at === -1) || (!valid && (at < 0 || at >= mixed.length))) disagreements++;
  }
  t.ok(invalid > 100, `invalid cases were asked (${invalid})`);
  t.equal(disagreements, 0);
});

t.test('lineBreaks and lastCharacterStart', async (t) => {
  const b = Buffer.from('a\nb\n\nc');
  t.equal(lineBreaks(b), 3);
  t.equal(lineBreaks(b, 2), 2);
  t.equal(lineBreaks(b, 0, 3), 1, 'up to, not including, end');
  t.equal(lineBreaks(Buffer.from('a\r\nb\rc\n\r\r\nd')), 5, 'LF, CRLF and a lone CR are each one line end');
  const crlf = Buffer.from('a\r\nb');
  t.equal(lineBreaks(crlf, 0, 2) + lineBreaks(crlf, 2, crlf.length, crlf[1]), 1, 'a CRLF cut between its two bytes, once');
  t.equal(lastCharacterStart(Buffer.from('ab')), 1);
  t.equal(lastCharacterStart(Buffer.from('a😀')), 1, 'the first byte of a four-byte character');
  t.equal(lastCharacterStart(Buffer.from([0x61, 0xe2, 0x98])), 1, 'an unfinished character');
  t.equal(lastCharacterStart(Buffer.alloc(0)), 0);
});

/** The problem decodeUpload throws for a body sent in the given pieces. */
async function problemOf(pieces: Buffer[]): Promise<{ code?: string; message?: string }> {
  async function* body() {
    for (const p of pieces) yield p;
  }
  try {
    for await (const _ of decodeUpload(body(), 'csv', 'establishments', 'GM0363', 1 << 20)) {
      // read every record
    }
  } catch (err) {
    return err as { code?: string; message?: string };
  }
  return {};
}

t.test('invalid UTF-8 is reported at its line and byte, however the upload is cut into pieces', async (t) => {
  const before = Buffer.from(`${HEADER}\nE-1,GM0363,Café ☕,club,Kade,1,,1012DK,Amsterdam,,\nE-2,GM0363,Caf`);
  const file = Buffer.concat([before, Buffer.from([0xe9]), Buffer.from(',club,Kade,2,,1012DK,Amsterdam,,\n')]);
  const expected = `at line 3 (byte offset ${before.length}: 0xE9)`;
  const whole = await problemOf([file]);
  t.equal(whole.code, 'invalid-encoding');
  t.match(whole.message, expected, 'in one piece');
  const wrong: number[] = [];
  for (let cut = 1; cut < file.length; cut++) {
    const problem = await problemOf([file.subarray(0, cut), file.subarray(cut)]);
    if (!problem.message?.includes(expected)) wrong.push(cut);
  }
  t.same(wrong, [], 'in two pieces, cut at every byte');
  const bytewise = await problemOf([...file].map((b) => Buffer.from([b])));
  t.match(bytewise.message, expected, 'a byte at a time');
});

t.test('a file with a byte-order mark (Excel’s CSV UTF-8) is reported at the line and byte of the bad one', async (t) => {
  const before = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${HEADER}\n`)]);
  const file = Buffer.concat([before, Buffer.from([0xe9]), Buffer.from('-1,GM0363,Caf,club,Kade,2,,1012DK,Amsterdam,,\n')]);
  const expected = `at line 2 (byte offset ${before.length}: 0xE9)`;
  t.match((await problemOf([file])).message, expected, 'in one piece');
  t.match((await problemOf([before, file.subarray(before.length)])).message, expected, 'the bad byte opening the second piece');
});

t.test('a character begun more than one piece before the byte that breaks it', async (t) => {
  // F0 opens a four-byte character, 9F continues it, and the comma after them breaks it: the
  // character (and the report) starts at F0, however the upload is cut.
  const before = Buffer.from(`${HEADER}\nE-1,GM0363,x`);
  const file = Buffer.concat([before, Buffer.from([0xf0, 0x9f]), Buffer.from(',club,Kade,2,,1012DK,Amsterdam,,\n')]);
  const expected = `at line 2 (byte offset ${before.length}: 0xF0)`;
  t.match((await problemOf([file])).message, expected, 'in one piece');
  t.match((await problemOf([...file].map((b) => Buffer.from([b])))).message, expected, 'a byte at a time');
  const at = before.length;
  t.match(
    (await problemOf([file.subarray(0, at + 1), file.subarray(at + 1, at + 2), file.subarray(at + 2)])).message,
    expected,
    'in three pieces',
  );
});

t.test('a character cut off by the end of the file', async (t) => {
  const problem = await problemOf([Buffer.concat([Buffer.from(`${HEADER}\nE-1,GM0363,x`), Buffer.from([0xe2, 0x98])])]);
  t.equal(problem.code, 'invalid-encoding');
  t.match(problem.message, 'ends inside a character');
});

t.test('an NDJSON line of many chunks is read in time linear in its length', async (t) => {
  // 32 MB as one line and as eight lines of 4 MB: the same bytes, the same chunks (64 KiB). Searching the
  // whole line so far for its end at every chunk made one long line take quadratic time (minutes at the
  // 200 MB limit, the event loop blocked in the meantime).
  const time = async (lines: number) => {
    const line = JSON.stringify({ externalReference: 'A', name: 'x'.repeat((32 << 20) / lines) });
    const file = Buffer.from(`${Array.from({ length: lines }, () => line).join('\n')}\n`);
    async function* body() {
      for (let i = 0; i < file.length; i += 65536) yield file.subarray(i, i + 65536);
    }
    const start = performance.now();
    let records = 0;
    for await (const _ of decodeUpload(body(), 'ndjson', 'establishments', 'GM0363', file.length)) records++;
    t.equal(records, lines);
    return performance.now() - start;
  };
  const split = await time(8);
  const one = await time(1);
  t.ok(one < 4 * split + 500, `one line: ${Math.round(one)} ms; eight lines: ${Math.round(split)} ms`);
});

t.test('a CSV file with CR line ends (classic Mac Excel) is read as a stream, as one with LF or CRLF', async (t) => {
  for (const eol of ['\n', '\r\n', '\r']) {
    const rows = Array.from({ length: 20000 }, (_, i) => `E-${i},GM0363,Club Rood,club,Straat,12,A,1012DK,Amsterdam,,`);
    const file = Buffer.from([HEADER, ...rows].join(eol) + eol);
    let read = 0;
    async function* body() {
      for (let i = 0; i < file.length; i += 65536) {
        read += 1;
        yield file.subarray(i, i + 65536);
      }
    }
    const records = decodeUpload(body(), 'csv', 'establishments', 'GM0363', file.length);
    const first = await records.next();
    t.match(first.value, { line: 2, data: { input: { externalReference: 'E-0' } } }, JSON.stringify(eol));
    t.ok(read < 3, `${JSON.stringify(eol)}: the first record comes after ${read} of ${Math.ceil(file.length / 65536)} chunks`);
    let lines = 2;
    for await (const r of records) lines = r.line;
    t.equal(lines, 20001, 'the last record’s line');
  }
});

t.test('a record with line breaks in a quoted field is named by the line it starts on, whatever the line ends', async (t) => {
  for (const eol of ['\n', '\r\n', '\r']) {
    const file = [
      HEADER,
      `Q-1,GM0363,"Club${eol}Rood",club,Kade,1,,1012DK,Amsterdam,,`, // lines 2-3
      'Q-2,GM0363,Club,club,Kade,2,,1012DK,Amsterdam,,', // line 4
      `Q-3,GM0363,"Club${eol}${eol}Noord",club,Kade,3,,1012DK,Amsterdam,,`, // lines 5-7
      'Q-4,GM0363,Club,club,Kade,4,,1012DK,Amsterdam,,', // line 8
    ].join(eol);
    async function* body() {
      yield Buffer.from(file + eol);
    }
    const lines = [];
    for await (const r of decodeUpload(body(), 'csv', 'establishments', 'GM0363', file.length + 2)) lines.push(r.line);
    t.same(lines, [2, 4, 5, 8], JSON.stringify(eol));
  }
});

t.test('invalid UTF-8 is reported on its line whatever the line ends, and however the file is cut', async (t) => {
  for (const eol of ['\n', '\r\n', '\r']) {
    const before = Buffer.from([HEADER, 'E-1,GM0363,Club,club,Kade,1,,1012DK,Amsterdam,,', 'E-2,GM0363,Caf'].join(eol));
    const file = Buffer.concat([before, Buffer.from([0xe9]), Buffer.from(`,club,Kade,2,,1012DK,Amsterdam,,${eol}`)]);
    const expected = `at line 3 (byte offset ${before.length}: 0xE9)`;
    t.match((await problemOf([file])).message, expected, `${JSON.stringify(eol)}, in one piece`);
    t.match((await problemOf([...file].map((b) => Buffer.from([b])))).message, expected, `${JSON.stringify(eol)}, a byte at a time`);
  }
});

t.test('an NDJSON line that is not a JSON object is one problem, not one for every column it could not hold', async (t) => {
  const file = Buffer.from(['{"externalReference": "E-1",', '[1, 2]', '"E-3"'].join('\n'));
  async function* body() {
    yield file;
  }
  const decoded = [];
  for await (const r of decodeUpload(body(), 'ndjson', 'establishments', 'GM0363', file.length)) decoded.push(r);
  t.same(
    decoded.map((r) => [r.line, r.problems?.map((p) => p.code)]),
    [
      [1, ['invalid_json']],
      [2, ['invalid_json']],
      [3, ['invalid_json']],
    ],
  );
});

/** Bytes read as Windows-1252 (0x80–0x9F are the code page's own; the five it leaves undefined kept as C1 controls). */
const CP1252 = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ';
const asWindows1252 = (bytes: Uint8Array) =>
  String.fromCharCode(...bytes).replace(/[\u0080-\u009F]/g, (c) => CP1252[c.charCodeAt(0) - 0x80] ?? c);

t.test('UTF-8 read as Windows-1252 is recognised, and real text is not', async (t) => {
  const real = [
    'Café Noël',
    'Zoë’s “Hoekje” – ’t Wapen',
    'Ærø Straße 5½',
    'Ölçek & Müller',
    'Señor Ñandú',
    'Łódź',
    'Ü» pas op «Ü',
    'São Paulo à la carte',
    'Club Rood',
    '€ 1.500,00 per dag',
    // Capitals with an accent before typographic punctuation: pairs that open and continue a sequence,
    // but would spell IPA letters or Samaritan; an export of such a name must import again.
    'CAFÉ’S HOEK',
    '«CAFÉ»',
    'CAFÉ\u00A0ROOD',
    'ÉÈÊË’«»°·',
    'Chez Marie à\u00A0« La Rose »',
    'Ξενοδοχείο Ρόδον',
    'Клуб Роза',
    '中文按摩',
    'ร้านนวด',
    'مطعم الوردة',
    'מועדון',
    'Club 🌹',
  ];
  for (const text of real) t.notOk(looksLikeMisreadUtf8(text), `as written: ${text}`);
  for (const text of real.filter((s) => /[^\x20-\x7e]/.test(s))) {
    const misread = asWindows1252(Buffer.from(text, 'utf8'));
    if (/^[^\u0080-\u009F]*$/.test(misread)) t.ok(looksLikeMisreadUtf8(misread), `misread: ${text} → ${misread}`);
    else t.match(misread, /[\u0080-\u009F]/, `misread: ${text} holds a control character, refused as such`);
  }
  // Every letter of Latin-1 and Latin Extended-A, alone: what a spreadsheet makes of each is recognised.
  for (let code = 0xa0; code <= 0x17f; code++) {
    const misread = asWindows1252(Buffer.from(String.fromCharCode(code), 'utf8'));
    if (/[\u0080-\u009F]/.test(misread)) continue; // a byte the code page leaves undefined: a control character, refused as such
    t.ok(looksLikeMisreadUtf8(misread), `U+${code.toString(16)} → ${misread}`);
  }
});
