import { ShellSyntaxError, tokenize, type Part, type Token, type Word } from './tokenizer';

/**
 * A POSIX-shell command-line parser, enough of bash's grammar for what attackers type: quotes
 * ('…', "…", backslash), `;` `&` `&&` `||` `|` and newlines, `>` `>>` `<` `2>` `2>&1` `&>`,
 * `VAR=value` prefixes, `$VAR` `${VAR}` `$?` `$$` `$(…)` and backticks, `( … )` subshells and
 * `for`/`while`/`until`/`if` compounds. Words keep which parts were quoted so that expansion can
 * split and glob only the unquoted ones, as bash does. `case`, functions and `{ …; }` are not
 * parsed: they answer bash's syntax error.
 */
export { ShellSyntaxError, tokenize } from './tokenizer';
export type { Part, Word } from './tokenizer';
export type RedirOp = '>' | '>>' | '<' | '>&';
export type Redir = Readonly<{ fd: number; op: RedirOp; target: Word }>;
export type Compound =
  | Readonly<{ t: 'for'; name: string; items: readonly Word[] | null; body: Script }>
  | Readonly<{ t: 'if'; clauses: readonly { cond: Script; body: Script }[]; otherwise?: Script }>
  | Readonly<{ t: 'while'; until: boolean; cond: Script; body: Script }>
  | Readonly<{ t: 'brace'; body: Script }>
  | Readonly<{ t: 'case'; word: Word; clauses: readonly { patterns: readonly Word[]; body: Script }[] }>
  /** `name() compound` / `function name compound`: defines, runs nothing. */
  | Readonly<{ t: 'fundef'; name: string; body: SimpleCommand }>;
export type SimpleCommand = Readonly<{
  assigns: readonly { name: string; value: Word }[];
  words: Word[];
  redirs: Redir[];
  /** `( list )`: a subshell; its cwd and variables do not leak out. */
  group?: Script;
  compound?: Compound;
}>;
export type Pipeline = Readonly<{ cmds: readonly SimpleCommand[]; bang: boolean }>;
export type AndOr = Readonly<{ first: Pipeline; rest: readonly { op: '&&' | '||'; p: Pipeline }[] }>;
export type Script = readonly AndOr[];

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
  'in',
]);

/** The word as typed when it is one unquoted literal (how keywords are recognised). */
function bare(t: Token | undefined): string | undefined {
  return t?.k === 'word' && t.w.length === 1 && t.w[0]!.t === 'lit' && !t.w[0]!.q ? t.w[0]!.s : undefined;
}

/** Parses a whole command line into and-or lists; throws ShellSyntaxError with bash's wording. */
export function parse(line: string): Script {
  const tokens = tokenize(line);
  let pos = 0;
  const peek = () => tokens[pos];
  const isOp = (t: Token | undefined, ...ops: string[]) => t?.k === 'op' && ops.includes(t.op);
  const unexpected = (t: Token | undefined): never => {
    if (t === undefined) throw new ShellSyntaxError('syntax error: unexpected end of file');
    const text =
      t.k === 'op'
        ? t.op === '\n'
          ? 'newline'
          : t.op
        : t.w
            .map((p: Part) =>
              p.t === 'lit' ? p.s : p.t === 'var' ? `$${p.name}` : p.t === 'arith' ? `$((${p.src}))` : `$(${p.src})`,
            )
            .join('');
    throw new ShellSyntaxError(`syntax error near unexpected token \`${text}'`);
  };
  const keyword = (w: string) => {
    if (bare(peek()) !== w) unexpected(peek());
    pos++;
  };
  const newlines = () => {
    while (isOp(peek(), '\n')) pos++;
  };

  const compound = (kw: string): Compound => {
    if (kw === 'for') {
      const name = bare(peek());
      if (!name || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) unexpected(peek());
      pos++;
      let items: Word[] | null = null;
      if (bare(peek()) === 'in') {
        pos++;
        items = [];
        while (peek()?.k === 'word') items.push((tokens[pos++] as { w: Part[] }).w);
      }
      if (isOp(peek(), ';', '\n')) pos++;
      newlines();
      keyword('do');
      const body = list(false, new Set(['done']));
      keyword('done');
      return { t: 'for', name: name!, items, body };
    }
    if (kw === 'if') {
      const clauses: { cond: Script; body: Script }[] = [];
      let otherwise: Script | undefined;
      for (let first = true; first || bare(peek()) === 'elif'; first = false) {
        if (!first) pos++;
        const cond = list(false, new Set(['then']));
        keyword('then');
        clauses.push({ cond, body: list(false, new Set(['elif', 'else', 'fi'])) });
      }
      if (bare(peek()) === 'else') {
        pos++;
        otherwise = list(false, new Set(['fi']));
      }
      keyword('fi');
      return { t: 'if', clauses, ...(otherwise ? { otherwise } : {}) };
    }
    if (kw === '{') {
      const body = list(false, new Set(['}']));
      keyword('}');
      return { t: 'brace', body };
    }
    if (kw === 'case') {
      const w = peek();
      if (w?.k !== 'word') return unexpected(w);
      pos++;
      newlines();
      keyword('in');
      newlines();
      const clauses: { patterns: Word[]; body: Script }[] = [];
      while (bare(peek()) !== 'esac') {
        if (isOp(peek(), '(')) pos++;
        const patterns: Word[] = [];
        for (;;) {
          const t = peek();
          if (t?.k !== 'word') return unexpected(t);
          patterns.push(t.w);
          pos++;
          if (!isOp(peek(), '|')) break;
          pos++;
        }
        if (!isOp(peek(), ')')) unexpected(peek());
        pos++;
        const body = bare(peek()) === 'esac' || isOp(peek(), ';;') ? [] : list(false, new Set(['esac']), [';;']);
        clauses.push({ patterns, body });
        if (isOp(peek(), ';;')) pos++;
        newlines();
      }
      pos++;
      return { t: 'case', word: w.w, clauses };
    }
    const cond = list(false, new Set(['do']));
    keyword('do');
    const body = list(false, new Set(['done']));
    keyword('done');
    return { t: 'while', until: kw === 'until', cond, body };
  };

  /** After `name()` or `function name`: the body is one compound command (a brace group, usually). */
  const funcBody = (name: string): Compound => {
    newlines();
    const body = simple();
    if (!body.compound && !body.group) unexpected(peek());
    return { t: 'fundef', name, body };
  };

  const simple = (): SimpleCommand => {
    const cmd: {
      assigns: { name: string; value: Word }[];
      words: Word[];
      redirs: Redir[];
      group?: Script;
      compound?: Compound;
    } = { assigns: [], words: [], redirs: [] };
    const kw = bare(peek());
    if (isOp(peek(), '(')) {
      pos++;
      cmd.group = list(true);
      if (!isOp(peek(), ')')) unexpected(peek());
      pos++;
    } else if (kw === 'for' || kw === 'if' || kw === 'while' || kw === 'until' || kw === '{' || kw === 'case') {
      pos++;
      cmd.compound = compound(kw);
    } else if (kw === 'function' && /^[A-Za-z_][\w-]*$/.test(bare(tokens[pos + 1]) ?? '')) {
      const name = bare(tokens[pos + 1])!;
      pos += 2;
      if (isOp(peek(), '(') && isOp(tokens[pos + 1], ')')) pos += 2;
      cmd.compound = funcBody(name);
    } else if (
      kw &&
      /^[A-Za-z_][\w-]*$/.test(kw) &&
      !reserved.has(kw) &&
      isOp(tokens[pos + 1], '(') &&
      isOp(tokens[pos + 2], ')')
    ) {
      pos += 3;
      cmd.compound = funcBody(kw);
    }
    for (;;) {
      const t = peek();
      if (t?.k === 'word') {
        if (cmd.group || cmd.compound) unexpected(t);
        pos++;
        const first = t.w[0];
        const eq = first?.t === 'lit' && !first.q ? /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(first.s) : null;
        if (eq && cmd.words.length === 0) {
          const rest = first!.t === 'lit' ? first!.s.slice(eq[0].length) : '';
          cmd.assigns.push({ name: eq[1]!, value: [{ t: 'lit', s: rest, q: true }, ...t.w.slice(1)] });
        } else {
          if (cmd.words.length === 0 && reserved.has(bare(t) ?? '')) unexpected(t);
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
    if (!cmd.group && !cmd.compound && !cmd.words.length && !cmd.assigns.length && !cmd.redirs.length)
      unexpected(peek());
    return cmd;
  };

  const pipeline = (): Pipeline => {
    let bang = false;
    if (bare(peek()) === '!') {
      bang = true;
      pos++;
    }
    const cmds = [simple()];
    while (isOp(peek(), '|')) {
      pos++;
      newlines();
      cmds.push(simple());
    }
    return { cmds, bang };
  };

  /**
   * And-or lists up to the end, up to the `)` closing a subshell, or up to one of `stops` in
   * command position (`done`, `fi`, `then`…), which is left for the caller.
   */
  function list(inParens: boolean, stops?: ReadonlySet<string>, stopOps: readonly string[] = []): Script {
    const script: AndOr[] = [];
    while (pos < tokens.length) {
      const t = peek();
      if (isOp(t, '\n')) {
        pos++;
        continue;
      }
      if (inParens && isOp(t, ')')) break;
      if (stopOps.length && isOp(t, ...stopOps)) break;
      if (stops?.has(bare(t) ?? '')) break;
      const first = pipeline();
      const rest: { op: '&&' | '||'; p: Pipeline }[] = [];
      while (isOp(peek(), '&&', '||')) {
        const op = (peek() as { op: '&&' | '||' }).op;
        pos++;
        newlines();
        rest.push({ op, p: pipeline() });
      }
      script.push({ first, rest });
      const sep = peek();
      if (sep === undefined) break;
      if (isOp(sep, ';', '&', '\n')) pos++;
      else if (stopOps.length && isOp(sep, ...stopOps)) break;
      else if (!(inParens && isOp(sep, ')'))) unexpected(sep);
    }
    if ((inParens || stops) && script.length === 0) unexpected(peek());
    return script;
  }

  const script = list(false);
  if (pos < tokens.length) unexpected(peek());
  return script;
}
