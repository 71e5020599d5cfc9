/**
 * The lexer of the command-line parser: words with their quoting kept per part, operators, and
 * the `$…`/backtick expansions found while reading. Grammar is in parser.ts.
 */
export type Part =
  | Readonly<{ t: 'lit'; s: string; q: boolean }>
  | Readonly<{ t: 'var'; name: string; q: boolean; alt?: Readonly<{ op: string; word: string }> }>
  | Readonly<{ t: 'sub'; src: string; q: boolean }>
  | Readonly<{ t: 'arith'; src: string; q: boolean }>;
export type Word = readonly Part[];
export class ShellSyntaxError extends Error {}

export type Token = { k: 'word'; w: Part[] } | { k: 'op'; op: string; fd?: number };

const OPS = ['&&', '||', '>>', '&>', '>&', ';;', '|', '&', ';', '>', '<', '(', ')', '\n'] as const;
const isNameStart = (c: string) => /[A-Za-z_]/.test(c);
const isName = (c: string) => /[A-Za-z0-9_]/.test(c);

/** The text of `$(…)` starting after `$(`, honouring nested parens and quotes; returns [src, end]. */
function scanParen(line: string, start: number): [string, number] {
  let depth = 1;
  let quote = '';
  for (let i = start; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = '';
      else if (c === '\\' && quote === '"') i++;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return [line.slice(start, i), i + 1];
  }
  throw new ShellSyntaxError("unexpected EOF while looking for matching `)'");
}

/** Reads a `$…` expansion at `i` (pointing at `$`); returns the part and the next index. */
function scanDollar(line: string, i: number, q: boolean): [Part, number] {
  const c = line[i + 1] ?? '';
  if (c === '(') {
    const [src, end] = scanParen(line, i + 2);
    // `$(( … ))` is arithmetic: the inner text is `( … )`, its own parens balanced.
    if (line[i + 2] === '(' && src.endsWith(')')) return [{ t: 'arith', src: src.slice(1, -1), q }, end];
    return [{ t: 'sub', src, q }, end];
  }
  if (c === '{') {
    const close = line.indexOf('}', i + 2);
    if (close < 0) throw new ShellSyntaxError("unexpected EOF while looking for matching `}'");
    const inner = line.slice(i + 2, close);
    // ${#VAR} (length) and ${VAR:-word} ${VAR-word} ${VAR:=word} ${VAR:+word}, word taken literally.
    const m = /^(#?)([A-Za-z_][A-Za-z0-9_]*|[?$#0-9])(?:(:?[-=+])(.*))?$/s.exec(inner);
    if (!m || (m[1] && m[3])) throw new ShellSyntaxError(`\${${inner}}: bad substitution`);
    const alt = m[1] ? { op: '#', word: '' } : m[3] !== undefined ? { op: m[3], word: m[4] ?? '' } : undefined;
    return [{ t: 'var', name: m[2]!, q, ...(alt ? { alt } : {}) }, close + 1];
  }
  if (/[?$#!0-9@*-]/.test(c) && c !== '') return [{ t: 'var', name: c, q }, i + 2];
  if (isNameStart(c)) {
    let j = i + 1;
    while (j < line.length && isName(line[j]!)) j++;
    return [{ t: 'var', name: line.slice(i + 1, j), q }, j];
  }
  return [{ t: 'lit', s: '$', q }, i + 1];
}

export function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let word: Part[] | null = null;
  const lit = (s: string, q: boolean) => {
    word ??= [];
    const last = word[word.length - 1];
    if (last?.t === 'lit' && last.q === q) word[word.length - 1] = { t: 'lit', s: last.s + s, q };
    else word.push({ t: 'lit', s, q });
  };
  const flush = () => {
    if (word) tokens.push({ k: 'word', w: word });
    word = null;
  };
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\r') {
      flush();
      i++;
    } else if (c === '#' && word === null) {
      while (i < line.length && line[i] !== '\n') i++;
    } else if (c === '\\') {
      if (line[i + 1] === '\n') i += 2;
      else {
        lit(line[i + 1] ?? '', true);
        i += 2;
      }
    } else if (c === "'") {
      const close = line.indexOf("'", i + 1);
      if (close < 0) throw new ShellSyntaxError("unexpected EOF while looking for matching `''");
      lit(line.slice(i + 1, close), true);
      i = close + 1;
    } else if (c === '"') {
      word ??= [];
      lit('', true);
      i++;
      for (;;) {
        if (i >= line.length) throw new ShellSyntaxError('unexpected EOF while looking for matching `"\'');
        const d = line[i]!;
        if (d === '"') break;
        if (d === '\\' && /[$`"\\\n]/.test(line[i + 1] ?? '')) {
          lit(line[i + 1]!, true);
          i += 2;
        } else if (d === '$') {
          const [part, next] = scanDollar(line, i, true);
          if (part.t === 'lit') lit(part.s, true);
          else word.push(part);
          i = next;
        } else if (d === '`') {
          const close = line.indexOf('`', i + 1);
          if (close < 0) throw new ShellSyntaxError("unexpected EOF while looking for matching ``'");
          word.push({ t: 'sub', src: line.slice(i + 1, close), q: true });
          i = close + 1;
        } else {
          lit(d, true);
          i++;
        }
      }
      i++;
    } else if (c === '$') {
      const [part, next] = scanDollar(line, i, false);
      word ??= [];
      if (part.t === 'lit') lit(part.s, false);
      else word.push(part);
      i = next;
    } else if (c === '`') {
      const close = line.indexOf('`', i + 1);
      if (close < 0) throw new ShellSyntaxError("unexpected EOF while looking for matching ``'");
      word ??= [];
      word.push({ t: 'sub', src: line.slice(i + 1, close), q: false });
      i = close + 1;
    } else {
      const op = OPS.find((o) => line.startsWith(o, i));
      if (!op) {
        lit(c, false);
        i++;
        continue;
      }
      // An all-digit word right before a redirection is its file descriptor (`2>`, `1>&2`).
      const w = word;
      const fdWord = w?.length === 1 && w[0]!.t === 'lit' && !w[0]!.q && /^\d$/.test(w[0]!.s) ? w[0]!.s : undefined;
      if (fdWord !== undefined && (op === '>' || op === '>>' || op === '<' || op === '>&')) {
        word = null;
        tokens.push({ k: 'op', op, fd: Number(fdWord) });
      } else {
        flush();
        tokens.push({ k: 'op', op });
      }
      i += op.length;
    }
  }
  flush();
  return tokens;
}
