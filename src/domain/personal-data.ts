import type { AuditObjectType } from './codes.js';

/**
 * The registry records establishments and decisions, never people (docs/api.md). Free text it keeps
 * (a name, a legal basis, a statement, an audit reason, a description) is refused when it holds what
 * points to a person beyond reasonable doubt:
 *
 * - an e-mail address, also spaced or spelled out (`anna @ example.nl`, `anna [at] example [dot] nl`,
 *   `anna(@)example.nl`, `anna@ziggo. nl`);
 * - a Dutch mobile number (06, +31 6, 0031 6) in any common spelling (`06-12345678`, `06 12 34 56 78`,
 *   `+31 (0)6 1234 5678`, `tel06-12345678`, two joined by a slash), the number a sex worker is reached
 *   on; landline numbers are left alone, as they are mostly offices' and cannot be told from
 *   references such as `0363-123456`;
 * - a BSN: nine digits that pass the elfproef, when the text names it (`BSN`, `burgerservicenummer`,
 *   `sofinummer`; also nine digits with a number after them: `BSN 123456782 2 personen`) or writes it as BSNs are
 *   written (`123.456.782`, `1234.56.782`). A bare nine-digit number is left alone: one in eleven
 *   case numbers (`202306781/1/A3` of the Raad van State) passes the elfproef by chance; so is an
 *   eight-digit one, which a KvK number is.
 *
 * Dates are read as dates first (`06-12-2024 10:00` holds no mobile number). The text is judged as
 * NFKC with invisible characters removed and look-alikes read as ASCII (plainText), so full-width or
 * Arabic-Indic digits, no-break and zero-width spaces, direction marks and minus signs hide nothing.
 * Names cannot be told from other words; the fields' descriptions ask for none. Identifiers (external
 * references, case numbers) are not judged.
 */
export type PersonalDataKind = 'an e-mail address' | 'a phone number' | 'a BSN';

/**
 * Characters that show nothing, or nothing of their own: every format character (soft hyphen, zero-width
 * and direction marks, U+2063), combining marks left after NFKC (U+034F, variation selectors), the Braille
 * blank, the Hangul fillers, and U+FFFD, which stands for a byte that was no text (a link's `%FF`).
 */
const INVISIBLE = /[\p{Cf}\p{Mn}\p{Me}\u115f\u1160\u2800\u3164\uffa0\ufffd]/gu;
/** Look-alikes NFKC leaves as they are: the minus sign and other dashes, ideographic full stops. */
const LOOKALIKE_DASH = /[\u2212\u2015\ufe58\ufe63]/g;
const LOOKALIKE_DOT = /[\u3002\uff61]/g;
/** A decimal digit of another script (Arabic-Indic ٠٦…, Devanagari …), read as its ASCII digit. */
const OTHER_DIGIT = /(?![0-9])\p{Nd}/gu;
const asciiDigit = (digit: string) => {
  const at = digit.codePointAt(0) ?? 0;
  let zero = at; // digits come in runs of ten from their zero
  while (zero > at - 9 && /\p{Nd}/u.test(String.fromCodePoint(zero - 1))) zero -= 1;
  return String((at - zero) % 10);
};

/** The text as the rule reads it: NFKC, nothing invisible, look-alike dashes, dots and digits as ASCII. */
const plainText = (text: string) =>
  text.normalize('NFKC').replace(INVISIBLE, '').replace(LOOKALIKE_DASH, '-').replace(LOOKALIKE_DOT, '.').replace(OTHER_DIGIT, asciiDigit);

// Each pattern may start only where its run starts (the lookbehinds), so a long text is read once,
// not once from every position (a quadratic read of a 100,000-character text took 12 s; test/unit/personal-data.test.ts).
// The local part as mail is written, also with an apostrophe (`o'brien@`) or quoted (`"anna"@`).
const EMAIL = /(?<![\p{L}\p{N}._%+'"-])[\p{L}\p{N}._%+'"-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/u;
const SPACED_AT = /(?<!\s)\s*@\s*/gu;
const SPELLED_AT = /(?<!\s)\s*[[({]\s*(?:at?|@)\s*[\])}]\s*/giu;
/**
 * An address written with a spelled-out `@` (`anna (at) example (dot) nl`, `anna[at]gmail.com`): only
 * with a domain that ends in a common top-level domain, since `(a)` also stands in legal citations
 * before an abbreviation (`art. 273f lid 1 sub (a) W.v.Sr.`, `art. 174 (a) Gem.wet`).
 */
const EMAIL_SPELLED =
  /(?<![\p{L}\p{N}._%+'"-])[\p{L}\p{N}._%+'"-]{2,}@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.(?:nl|com|net|org|eu|be|info|de|fr|uk|io|me|biz)(?![\p{L}\p{N}])/iu;
const SPELLED_DOT = /(?<!\s)\s*[[({]\s*(?:dot|punt)\s*[\])}]\s*/giu;
/**
 * A dot with spaces around it before a common top-level domain in lower case (`anna@ziggo. nl`,
 * `anna@example .nl`); it joins the two only in an address's domain (`joinSpacedDots`), not at a
 * sentence's end (`onder (a) Wabo. EU-richtlijn`).
 */
const SPACED_DOT = /(?<=[\p{L}\p{N}])(?:\s+\.\s*|\.\s+)(?=(?:nl|com|net|org|eu|be|info)(?![\p{L}\p{N}]))/gu;
/** An address's domain up to where a spaced dot stands (looked for in at most a domain's length before it). */
const DOMAIN_SO_FAR = /@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*$/u;
const joinSpacedDots = (text: string) =>
  text.replace(SPACED_DOT, (dot: string, at: number) => (DOMAIN_SO_FAR.test(text.slice(Math.max(0, at - 254), at)) ? '.' : dot));

/** What may stand between the digits of a phone number: spaces, dots, slashes, underscores, hyphens, dashes, brackets. */
const SEP = '[\\s./()_\\u2010-\\u2014-]';
/**
 * Words a number may be written right after (`tel06-12345678`, `T06-12345678`, `T+31612345678`); after any
 * other letter it is part of an identifier. In a link only the words: `T0612345678` is an id there (a Slack team's).
 */
const PHONE_WORD = '(?:tel|mob|mobiel|gsm|sms|app|nr|t|m)';
const PHONE_WORD_IN_LINK = '(?:tel|mob|mobiel|gsm|sms|app|nr)';
/** Where another mobile number starts, after a slash (`06-12345678/06-87654321`). */
const MOBILE_START = `${SEP}{0,2}(?:0${SEP}{0,3}6|\\+|00)`;
/**
 * 06 and eight digits, or +31/0031 6 (or 06) and eight digits, with separators anywhere; not a piece
 * of a longer number or of a date (`12-06-2024 10.00` is no phone number: 06 follows a digit and a
 * dash), but one of two numbers joined by a slash is.
 */
const mobile = (words: string) =>
  new RegExp(
    `(?:(?<![\\p{L}\\p{N}])|(?<=(?<!\\p{L})${words}))(?<!\\d[./\\u2010-\\u2014-])` +
      `(?:(?:\\+|00)${SEP}?31${SEP}{0,3}(?:(?:\\(0\\)|0)${SEP}{0,2})?|0)6(?:${SEP}{0,3}\\d){8}` +
      `(?!(?:[.\\u2010-\\u2014-]|/(?!${MOBILE_START}))?\\d)`,
    'iu',
  );
const MOBILE = mobile(PHONE_WORD);
const MOBILE_IN_LINK = mobile(PHONE_WORD_IN_LINK);

/**
 * A date (`06-12-2024`, `6/12/24`, `2024-12-06`, `06.12.2024`), read as a date before any number is
 * looked for, so that `06-12-2024 10:00` is no mobile number and no BSN. Only a day, month and year that
 * can be one (day 1–31, month 1–12, a four-digit year 19xx or 20xx): `06 1234.56.78` and `06 12-34-5678`
 * hold a mobile number, no date. With a two-digit year, a run that goes on (`06-12-34-56-78`) is no date.
 */
const DAY = '(?:0?[1-9]|[12]\\d|3[01])';
const MONTH = '(?:0?[1-9]|1[0-2])';
const DATE = new RegExp(
  `(?<!\\p{N}[-/.]?)(?:(?:${DAY} ?[-/.] ?${MONTH} ?[-/.] ?(?:19|20)\\d\\d|(?:19|20)\\d\\d[-/.]${MONTH}[-/.]${DAY})(?!\\d)` +
    // With a four-digit year it is a date whatever follows (`06-12-2024-01`, a document's number; `06-12-2024-10:00`).
    `|${DAY}[-/.]${MONTH}[-/.]\\d{2}(?![-/.]?\\p{N}))`,
  'gu',
);

/**
 * Words that name a BSN: BSN (BSN-nummer, BSNnr), b.s.n., burgerservicenummer (burger service nummer,
 * -nr), sofinummer (sofi-nummer, sofi nummer, sofinr).
 */
const BSN_NAMED = /(?<!\p{L})(?:bsn(?:-?n(?:umme)?r)?|b\.s\.n\.?|burger[- ]?service[- ]?n(?:umme)?r|sofi[- ]?n(?:umme)?r)(?!\p{L})/iu;
/**
 * Digits in groups joined by one space, dot, underscore or hyphen (a word may stand right before them: `bsn123456782`);
 * not a part of a number with slashes (`202306781/1/A3`, a case of the Raad van State), here and below.
 */
const DIGIT_RUN = /(?<!\p{N}\/?)\d+(?:[ ._-]\d+)*(?![./-]?\p{N})/gu;
/** Nine digits on their own, whatever follows after a space (`123456782 2 personen`); not a group of a hyphenated number. */
const NINE_DIGITS = /(?<!\p{N}[./-]?)\d{9}(?![./-]?\p{N})/gu;
/** Nine digits in the groups a BSN is written in (3-3-3, 4-2-3), spaced more loosely (`123  456 - 782`). */
const BSN_GROUPS_SPACED =
  /(?<!\p{N}[./-]?)(?:\d{3}(?: {1,2}| ?[.-] ?)\d{3}|\d{4}(?: {1,2}| ?[.-] ?)\d{2})(?: {1,2}| ?[.-] ?)\d{3}(?![./-]?\p{N})/gu;
/**
 * The two ways a BSN is written with dots: 123.456.782 and 1234.56.782 (as on a passport); not a
 * year, month and number (`2024.01.005`, a reference).
 */
const BSN_WRITTEN =
  /(?<![\p{L}\p{N}]|\d[.,])(?:\d{3}\.\d{3}\.\d{3}|(?!(?:19|20)\d\d\.(?:0[1-9]|1[0-2])\.)\d{4}\.\d{2}\.\d{3})(?![.,]?\d)/gu;

/** An organisation's RSIN named as one (`bronorganisatie 002564440`, `rsin=…`): it passes the elfproef too, and is no person's. */
const RSIN = /((?<!\p{L})(?:rsin|bronorganisatie|verantwoordelijke ?organisatie)\W{0,3})\d{9}(?!\p{N})/giu;

/** Whether a run of digit groups is, as a whole, nine digits that pass the elfproef. */
const isBsn = (run: string) => passesElfproef(run.replace(/[ ._-]/g, ''));

/**
 * Where the text names a BSN, what may be one: a run of digit groups that is nine digits as a whole, nine
 * digits on their own (`BSN 123456782 2 personen`), or the groups a BSN is written in, loosely spaced.
 * Not any nine digits among the groups of a longer run: a case number (`2024-12345-67`) would hold one
 * that passes the elfproef one time in eleven.
 */
const namedBsnCandidates = (text: string) => [
  ...text.matchAll(DIGIT_RUN),
  ...text.matchAll(NINE_DIGITS),
  ...text.matchAll(BSN_GROUPS_SPACED),
];

/** The BSN's check (elfproef): 9·d1 + 8·d2 + … + 2·d8 − d9 is a multiple of 11, and not all zeros. */
function passesElfproef(nineDigits: string): boolean {
  if (!/^\d{9}$/.test(nineDigits) || /^0+$/.test(nineDigits)) return false;
  let sum = -Number(nineDigits[8]);
  for (let i = 0; i < 8; i++) sum += (9 - i) * Number(nineDigits[i]);
  return sum % 11 === 0;
}

/**
 * What in `text` looks like personal data, the first kind found, or null. `inLink`: the text is a link's
 * (personalDataInUrl), where a letter written against a number makes an identifier (`T0612345678`).
 */
export function personalDataIn(text: string, inLink = false): PersonalDataKind | null {
  const plain = plainText(text);
  const spacedAt = plain.replace(SPACED_AT, '@');
  if (EMAIL.test(joinSpacedDots(spacedAt.replace(SPELLED_DOT, '.')))) return 'an e-mail address';
  if (EMAIL_SPELLED.test(joinSpacedDots(spacedAt.replace(SPELLED_AT, '@').replace(SPELLED_DOT, '.')))) return 'an e-mail address';
  const undated = plain.replace(DATE, '#');
  if ((inLink ? MOBILE_IN_LINK : MOBILE).test(undated)) return 'a phone number';
  if ([...undated.matchAll(BSN_WRITTEN)].some(([digits]) => isBsn(digits))) return 'a BSN';
  if (BSN_NAMED.test(undated) && namedBsnCandidates(undated.replace(RSIN, '$1#')).some(([digits]) => isBsn(digits))) return 'a BSN';
  return null;
}

/** A UUID anywhere in a link (a ZGW resource's id, `?zaak=<uuid>`, `<uuid>.json`): an identifier, not read. */
const UUIDS = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
/** A run of 16 or more hex digits with a letter among them (a webhook's or workflow's key): an identifier, not read. */
const HEX_TOKENS = /(?<![0-9a-z])(?=[0-9a-f]*[a-f])[0-9a-f]{16,}(?![0-9a-z])/gi;

/** A URL's scheme and user information (`https://user:pw@`): not read; user information is refused on its own (`credentials_in_url`). */
const SCHEME = /^[a-z][a-z0-9+.-]*:(?:\/\/[^/?#@]*@)?/i;

/** Percent-escapes decoded as UTF-8 bytes, a byte that is no UTF-8 read as U+FFFD: a bad one hides nothing around it. */
const UTF8 = new TextDecoder('utf-8');
const decodeOnce = (text: string) =>
  text.replace(/(?:%[0-9a-f]{2})+/gi, (run) => UTF8.decode(Uint8Array.from(run.slice(1).split('%'), (h) => Number.parseInt(h, 16))));
/** Decoded until nothing changes (at most 16 times): `%2540` hides an `@` as well as `%40` does. */
function decoded(text: string): string {
  let now = text;
  for (let i = 0; i < 16; i++) {
    const next = decodeOnce(now);
    if (next === now) break;
    now = next;
  }
  return now;
}

/**
 * What in a link (kept as sent: `zaakUrl`, `besluitUrl`, `callbackUrl`) looks like personal data, or
 * null: personalDataIn() over the link as sent, not normalised (`…/anna@example.nl/../<uuid>` is
 * stored as sent, so it is judged as sent), host, path, query and fragment together, so that a BSN's
 * name and number in two parts (`/bsn/111222333`) are read together as in free text. Percent-escapes
 * are decoded until nothing changes, and the query's `+` is read both as itself (`tel=+31612345678`)
 * and as a space (`tel=%2B31+6+12345678`). UUIDs and long hex keys are identifiers and not read, nor are
 * the scheme and user information; a letter written against a number makes an identifier here (`T0612345678`).
 */
export function personalDataInUrl(url: string): PersonalDataKind | null {
  const text = url.replace(SCHEME, '');
  for (const form of text.includes('+') ? [text, text.replace(/\+/g, ' ')] : [text]) {
    const found = personalDataIn(decoded(form).replace(UUIDS, ' ').replace(HEX_TOKENS, ' '), true);
    if (found) return found;
  }
  return null;
}

/**
 * The free text the rule judges in each kind of record, as the API names it (a path into the record
 * as the API shows it, and as audit entries keep it in `before` and `after`). The schemas apply the
 * rule to the same fields as they are sent (`prose()` in src/http/schemas/common.ts;
 * test/unit/personal-data.test.ts holds the two together); a tombstone's `deleteReason` and an
 * entry's `reason` are the X-Audit-Reason of a write, judged as it is sent.
 */
export const FREE_TEXT_FIELDS = {
  establishment: ['name', 'address.street', 'address.city'],
  enforcement_action: ['legalBasis'],
  reporting_attestation: ['statement'],
  subscription: ['description'],
  api_client: ['name'],
  statistics_release: ['title'],
} as const satisfies Partial<Record<AuditObjectType, readonly string[]>>;

export type FreeTextObjectType = keyof typeof FREE_TEXT_FIELDS;

/**
 * The links each kind of record keeps as sent, judged by personalDataInUrl() (`zgwUrl()` and the
 * subscription's `callbackUrl` in the schemas): a path or query can carry an e-mail address or a BSN
 * as well as free text can. The stored-data report reads them, and redaction may remove them from
 * audit entries, as the free text.
 */
export const LINK_FIELDS = {
  enforcement_action: ['zaakUrl', 'besluitUrl'],
  subscription: ['callbackUrl'],
} as const satisfies Partial<Record<FreeTextObjectType, readonly string[]>>;

/** How the rule judges a field of a record of `objectType`: as a link, or as text (a reason, free text, anything else). */
export function personalDataInField(objectType: string, field: string, text: string): PersonalDataKind | null {
  const links: readonly string[] = LINK_FIELDS[objectType as keyof typeof LINK_FIELDS] ?? [];
  return links.includes(field) ? personalDataInUrl(text) : personalDataIn(text);
}

/** The fields of a record of `objectType` the rule reads: its free text, then its links. */
export function judgedFields(objectType: string): readonly string[] {
  return [...(FREE_TEXT_FIELDS[objectType as FreeTextObjectType] ?? []), ...(LINK_FIELDS[objectType as keyof typeof LINK_FIELDS] ?? [])];
}

export interface PersonalDataFinding {
  /** The field as the API names it (`address.street`), or `reason`, `deleteReason`. */
  field: string;
  found: PersonalDataKind;
}

/** What the rule finds in the free text and links of a record as the API shows it; no other field is read. */
export function personalDataInRecord(objectType: string, record: unknown): PersonalDataFinding[] {
  return personalDataInTexts(objectType, Object.fromEntries(judgedFields(objectType).map((field) => [field, textAt(record, field)])));
}

/**
 * What the rule finds in named texts of a record of `objectType` (null or absent ones are skipped),
 * each judged as its field is (personalDataInField).
 */
export function personalDataInTexts(objectType: string, texts: Readonly<Record<string, unknown>>): PersonalDataFinding[] {
  const findings: PersonalDataFinding[] = [];
  for (const [field, text] of Object.entries(texts)) {
    const found = typeof text === 'string' ? personalDataInField(objectType, field, text) : null;
    if (found) findings.push({ field, found });
  }
  return findings;
}

/** The value at a dotted path of a JSON value, or undefined. */
function textAt(value: unknown, path: string): unknown {
  let at = value;
  for (const key of path.split('.')) {
    if (typeof at !== 'object' || at === null || Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/**
 * Whether `field` of an audit entry about a record of `objectType` may be redacted: its `reason`, or
 * the free text or a link of the record it keeps in `before` or `after` (`after.address.street`,
 * `before.zaakUrl`).
 */
export function isRedactableField(objectType: string, field: string): boolean {
  if (field === 'reason') return true;
  const [side, ...path] = field.split('.');
  return (side === 'before' || side === 'after') && judgedFields(objectType).includes(path.join('.'));
}

/**
 * Why no field of an audit entry may be redacted, or null when its fields may be: an entry of chain
 * format 1 (its hash covers its content, so a changed text breaks the chain for good), a destruction
 * (its content is already blanked) and a redaction (it names entries, it keeps no text of a record).
 */
export function whyEntryNotRedactable(entry: { action: string; hasContentHash: boolean }): string | null {
  if (!entry.hasContentHash) return 'an entry of chain format 1 (its hash covers its content) is not redacted';
  if (entry.action === 'destroy' || entry.action === 'redact') return `a ${entry.action} entry is not redacted`;
  return null;
}
