/** An object (its names so far, and the one being read) or an array (the index being read) in a JSON text. */
type Frame = { names: Set<string>; name: string; path: string } | { names: null; index: number; path: string };

/** The path of the value a frame is reading now: `penalty.unit`, `grounds.1`. */
const pathIn = (frame: Frame | undefined): string => {
  if (!frame) return '';
  const step = frame.names ? frame.name : String(frame.index);
  return frame.path ? `${frame.path}.${step}` : step;
};

/**
 * The members a JSON text names more than once in one object, each by its dotted path (`measure`,
 * `penalty.unit`, `items.0.id`), in the order of their second appearance. RFC 8259 §4 says names
 * SHOULD be unique and that parsers differ in what they do otherwise: JSON.parse keeps the last, so
 * `{"measure":"warning",…,"measure":"closure"}` would be stored as a closure without a word. Names
 * are compared as they decode (`"a"` and `"\u0061"` are one name). The text must be valid JSON
 * (parse it first); one pass, no values built.
 */
export function repeatedMembers(text: string): string[] {
  const found = new Set<string>();
  const stack: Frame[] = [];
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
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
      if (expectName && top?.names) {
        const name = escaped ? (JSON.parse(text.slice(i, end + 1)) as string) : text.slice(i + 1, end);
        if (top.names.has(name)) found.add(top.path ? `${top.path}.${name}` : name);
        top.names.add(name);
        top.name = name;
        expectName = false;
      }
      i = end;
    } else if (c === 0x7b /* { */) {
      stack.push({ names: new Set(), name: '', path: pathIn(stack[stack.length - 1]) });
      expectName = true;
    } else if (c === 0x5b /* [ */) {
      stack.push({ names: null, index: 0, path: pathIn(stack[stack.length - 1]) });
      expectName = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectName = false;
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.names) expectName = true;
      else if (top) top.index += 1;
    }
  }
  return [...found];
}

/** Why a repeated member is refused, in the one wording of a 400 and of an import line's problem. */
export const REPEATED_MEMBER = 'is named more than once in one object: send each member once (which one counts would be a guess)';
