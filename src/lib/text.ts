/** Whitespace and invisible format characters (zero-width space and joiners, soft hyphen, word joiner, …). */
const VISIBLE = /[^\p{White_Space}\p{Cf}]/u;

/** Does this text hold at least one character a reader can see? A zero-width space alone does not. */
export const hasVisibleCharacter = (s: string): boolean => VISIBLE.test(s);

/**
 * C0 control characters (U+0000–U+001F, tab and line breaks included), DEL, the C1 controls
 * (U+007F–U+009F) and Unicode's line and paragraph separators (U+2028, U+2029): no text the registry
 * keeps is multi-line, and PostgreSQL refuses NUL. One rule for the schemas, the headers the service
 * stores and the claims of an OpenID Connect token.
 */
export function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return true;
  }
  return false;
}

/** Half of a UTF-16 surrogate pair on its own: JSON can escape it (`"\\ud800"`), UTF-8 cannot store it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Does this text hold half a surrogate pair on its own (not well-formed Unicode, which PostgreSQL and the audit hash refuse)? */
export const hasLoneSurrogate = (s: string): boolean => LONE_SURROGATE.test(s);

/** At most `max` UTF-16 units of a text, never half a character: a pair that would be cut is left out whole. */
export function cutAt(s: string, max: number): string {
  const cut = s.slice(0, max);
  return /[\ud800-\udbff]$/.test(cut) && s.length > max ? cut.slice(0, -1) : cut;
}
