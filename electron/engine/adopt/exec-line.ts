// One ExecStart= value of a unit file (systemd.service "Command lines"): its prefixes
// (- @ : + ! !!), its words as systemd splits them, and the raw text after the prefixes,
// which a drop-in copies verbatim so systemd still expands its specifiers (%i) and
// variables ($FOO) exactly as it did for the original line.

export class UnitError extends Error {}

export interface ExecLine {
  /** The prefix characters as written, e.g. "-" or "+"; "" when none. */
  prefixes: string;
  /** The line after the prefixes, exactly as written (still quoted and escaped). */
  raw: string;
  /** The words after unquoting (specifiers and variables left as they are). */
  words: string[];
  /** "@": the second word is argv[0] for the program, not an argument. */
  argv0: boolean;
}

const PREFIX_CHARS = new Set(['-', '@', ':', '+', '!']);

export function parseExecLine(value: string): ExecLine {
  let i = 0;
  while (i < value.length && PREFIX_CHARS.has(value[i]!)) i++;
  const prefixes = value.slice(0, i);
  const raw = value.slice(i).trim();
  const words = splitWords(raw);
  if (words.length === 0) throw new UnitError('ExecStart has no command');
  return { prefixes, raw, words, argv0: prefixes.includes('@') };
}

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'", s: ' ' };

/** systemd's word splitting (extract_first_word with quotes and C escapes). */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    let word = '';
    let quote: '"' | "'" | null = null;
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (!quote && /\s/.test(c)) break;
      if (c === '\\') {
        const next = text[i + 1];
        if (next === undefined) throw new UnitError(`a trailing backslash in "${text}"`);
        if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
          word += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16));
          i += 3;
        } else {
          word += ESCAPES[next] ?? next;
          i++;
        }
      } else if (quote && c === quote) quote = null;
      else if (!quote && (c === '"' || c === "'")) quote = c;
      else word += c;
    }
    if (quote) throw new UnitError(`an unterminated quote in "${text}"`);
    words.push(word);
  }
  return words;
}
