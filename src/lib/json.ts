/** An object (its names so far, and the one being read) or an array (the index being read) in a JSON text. */
type Frame = { names: Set<string>; name: string } | { names: null; index: number };

/** How a name shows in a path: an empty one as `(empty)`, as unknown keys are named. */
const step = (frame: Frame): string => (frame.names ? frame.name || '(empty)' : String(frame.index));

/** At most this many repeated members are named: enough to mend a body, and a bounded answer whatever is sent. */
export const REPEATED_MEMBERS_NAMED = 10;

/** Nesting beyond this is not read (no body of the contract nests half as deep; its schema refuses such a body). */
export const DEEPEST_READ = 64;

/**
 * The members a JSON text names more than once in one object, each by its dotted path (`measure`,
 * `penalty.unit`, `items.0.id`, an empty name as `(empty)`), in the order of their second appearance,
 * at most REPEATED_MEMBERS_NAMED of them and none nested deeper than DEEPEST_READ. RFC 8259 §4 says
 * names SHOULD be unique and that parsers differ in what they do otherwise: JSON.parse keeps the
 * last, so `{"measure":"warning",…,"measure":"closure"}` would be stored as a closure without a
 * word. Names are compared as they decode (`"a"` and `"\u0061"` are one name). The text must be
 * valid JSON (parse it first). One pass, memory bounded by the depth read: a frame holds its own
 * step, and a path is built only for a member found.
 */
export function repeatedMembers(text: string): string[] {
  const found = new Set<string>();
  const stack: Frame[] = [];
  let skipped = 0; // containers opened beyond DEEPEST_READ, not read
  let expectName = false;
  for (let i = 0; i < text.length && found.size < REPEATED_MEMBERS_NAMED; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let end = i + 1;
      let escaped = false;
      for (let d = text.charCodeAt(end); d !== 0x22; d = text.charCodeAt(end)) {
        if (d === 0x5c /* \ */) {
          escaped = true;
          end += 2;
        } else end += 1;
      }
      const top = stack[stack.length - 1];
      if (expectName && skipped === 0 && top?.names) {
        const name = escaped ? (JSON.parse(text.slice(i, end + 1)) as string) : text.slice(i + 1, end);
        top.name = name;
        if (top.names.has(name)) found.add(stack.map(step).join('.'));
        top.names.add(name);
        expectName = false;
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (skipped > 0 || stack.length >= DEEPEST_READ) skipped += 1;
      else stack.push(c === 0x7b ? { names: new Set(), name: '' } : { names: null, index: 0 });
      expectName = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      if (skipped > 0) skipped -= 1;
      else stack.pop();
      expectName = false;
    } else if (c === 0x2c /* , */ && skipped === 0) {
      const top = stack[stack.length - 1];
      if (top?.names) expectName = true;
      else if (top) top.index += 1;
    }
  }
  return [...found];
}

/** Why a repeated member is refused, in the one wording of a 400 and of an import line's problem. */
export const REPEATED_MEMBER = 'is named more than once in one object: send each member once (which one counts would be a guess)';
