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
