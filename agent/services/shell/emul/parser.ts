/**
 * A POSIX-shell command-line parser, enough of bash's grammar for what attackers type: quotes
 * ('…', "…", backslash), `;` `&` `&&` `||` `|` and newlines, `>` `>>` `<` `2>` `2>&1` `&>`,
 * `VAR=value` prefixes, `$VAR` `${VAR}` `$?` `$$` `$(…)` and backticks. Words keep which parts
 * were quoted so that expansion can split and glob only the unquoted ones, as bash does.
 * Loops and functions are not parsed: their keywords answer as bash's syntax errors.
 */
export type Part =
  | Readonly<{ t: 'lit'; s: string; q: boolean }>
  | Readonly<{ t: 'var'; name: string; q: boolean }>
  | Readonly<{ t: 'sub'; src: string; q: boolean }>;
export type Word = readonly Part[];
export type RedirOp = '>' | '>>' | '<' | '>&';
export type Redir = Readonly<{ fd: number; op: RedirOp; target: Word }>;
export type SimpleCommand = Readonly<{
  assigns: readonly { name: string; value: Word }[];
  words: Word[];
  redirs: Redir[];
  /** `( list )`: a subshell; its cwd and variables do not leak out. */
  group?: Script;
}>;
export type Pipeline = Readonly<{ cmds: readonly SimpleCommand[]; bang: boolean }>;
export type AndOr = Readonly<{ first: Pipeline; rest: readonly { op: '&&' | '||'; p: Pipeline }[] }>;
export type Script = readonly AndOr[];

export class ShellSyntaxError extends Error {}

type Token = { k: 'word'; w: Part[] } | { k: 'op'; op: string; fd?: number };

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
    return [{ t: 'sub', src, q }, end];
  }
  if (c === '{') {
    const close = line.indexOf('}', i + 2);
    if (close < 0) throw new ShellSyntaxError("unexpected EOF while looking for matching `}'");
    const inner = line.slice(i + 2, close);
    const name = /^[A-Za-z_][A-Za-z0-9_]*|^[?$#0-9]/.exec(inner)?.[0];
    if (!name) throw new ShellSyntaxError(`\${${inner}}: bad substitution`);
    return [{ t: 'var', name, q }, close + 1];
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

const reserved = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'for',
  'while',
  'until',
  'do',
  'done',
  'case',
  'esac',
  'function',
  '{',
  '}',
]);

/** Parses a whole command line into and-or lists; throws ShellSyntaxError with bash's wording. */
export function parse(line: string): Script {
  const tokens = tokenize(line);
  let pos = 0;
  const peek = () => tokens[pos];
  const unexpected = (t: Token | undefined): never => {
    const text =
      t === undefined
        ? 'newline'
        : t.k === 'op'
          ? t.op === '\n'
            ? 'newline'
            : t.op
          : t.w.map((p) => (p.t === 'lit' ? p.s : p.t === 'var' ? `$${p.name}` : `$(${p.src})`)).join('');
    throw new ShellSyntaxError(`syntax error near unexpected token \`${text}'`);
  };

  const simple = (): SimpleCommand => {
    const cmd: { assigns: { name: string; value: Word }[]; words: Word[]; redirs: Redir[]; group?: Script } = {
      assigns: [],
      words: [],
      redirs: [],
    };
    const open = peek();
    if (open?.k === 'op' && open.op === '(') {
      pos++;
      cmd.group = list(true);
      const close = peek();
      if (close?.k !== 'op' || close.op !== ')') unexpected(close);
      pos++;
    }
    for (;;) {
      const t = peek();
      if (t?.k === 'word') {
        if (cmd.group) unexpected(t);
        pos++;
        const first = t.w[0];
        const eq = first?.t === 'lit' && !first.q ? /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(first.s) : null;
        if (eq && cmd.words.length === 0) {
          const rest = first!.t === 'lit' ? first!.s.slice(eq[0].length) : '';
          cmd.assigns.push({ name: eq[1]!, value: [{ t: 'lit', s: rest, q: true }, ...t.w.slice(1)] });
        } else {
          if (cmd.words.length === 0 && first?.t === 'lit' && !first.q && t.w.length === 1 && reserved.has(first.s))
            throw new ShellSyntaxError(`syntax error near unexpected token \`${first.s}'`);
          cmd.words.push(t.w);
        }
      } else if (t?.k === 'op' && ['>', '>>', '<', '>&', '&>'].includes(t.op)) {
        pos++;
        const target = peek();
        if (target?.k !== 'word') unexpected(target);
        pos++;
        const w = (target as { w: Part[] }).w;
        if (t.op === '&>') {
          cmd.redirs.push({ fd: 1, op: '>', target: w }, { fd: 2, op: '>&', target: [{ t: 'lit', s: '1', q: false }] });
        } else {
          const fd = t.fd ?? (t.op === '<' ? 0 : 1);
          cmd.redirs.push({ fd, op: t.op as RedirOp, target: w });
        }
      } else break;
    }
    if (!cmd.group && cmd.words.length === 0 && cmd.assigns.length === 0 && cmd.redirs.length === 0) unexpected(peek());
    return cmd;
  };

  const pipeline = (): Pipeline => {
    let bang = false;
    const t = peek();
    if (t?.k === 'word' && t.w.length === 1 && t.w[0]!.t === 'lit' && !t.w[0]!.q && t.w[0]!.s === '!') {
      bang = true;
      pos++;
    }
    const cmds = [simple()];
    while (peek()?.k === 'op' && (peek() as { op: string }).op === '|') {
      pos++;
      while (peek()?.k === 'op' && (peek() as { op: string }).op === '\n') pos++;
      cmds.push(simple());
    }
    return { cmds, bang };
  };

  /** An and-or list up to the end, or up to the `)` closing a subshell (left for the caller). */
  function list(inParens: boolean): Script {
    const script: AndOr[] = [];
    while (pos < tokens.length) {
      const t = peek();
      if (t?.k === 'op' && t.op === '\n') {
        pos++;
        continue;
      }
      if (inParens && t?.k === 'op' && t.op === ')') break;
      const first = pipeline();
      const rest: { op: '&&' | '||'; p: Pipeline }[] = [];
      while (peek()?.k === 'op' && ['&&', '||'].includes((peek() as { op: string }).op)) {
        const op = (peek() as { op: '&&' | '||' }).op;
        pos++;
        while (peek()?.k === 'op' && (peek() as { op: string }).op === '\n') pos++;
        rest.push({ op, p: pipeline() });
      }
      script.push({ first, rest });
      const sep = peek();
      if (sep === undefined) break;
      if (sep.k === 'op' && (sep.op === ';' || sep.op === '&' || sep.op === '\n')) pos++;
      else if (!(inParens && sep.k === 'op' && sep.op === ')')) unexpected(sep);
    }
    if (inParens && script.length === 0) unexpected(peek());
    return script;
  }

  const script = list(false);
  if (pos < tokens.length) unexpected(peek());
  return script;
}
