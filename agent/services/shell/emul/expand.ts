import type { Part, Word } from './parser';
import type { Io, ShellState } from './types';
import { shellLimits } from './limits';
import { ArithError, evalArith } from './arith';

/**
 * Word expansion in bash's order: parameters and command substitution, then field splitting and
 * pathname expansion of the unquoted results only. A glob that matches nothing stays literal.
 */
type Seg = { s: string; glob: boolean };

export function varValue(sh: ShellState, name: string): string {
  switch (name) {
    case '?':
      return String(sh.lastCode);
    case '$':
      return String(4000 + (sh.facts.mac.charCodeAt(10) % 900));
    case '#':
      return String(sh.args.at(-1)?.length ?? 0);
    case '0':
      return sh.mode === 'shell' ? '-bash' : 'bash';
    case '@':
    case '*':
      return (sh.args.at(-1) ?? []).join(' ');
    case '!':
    case '-':
      return name === '-' ? (sh.mode === 'shell' ? 'himBHs' : 'hBc') : '';
    default:
      return /^\d$/.test(name) ? (sh.args.at(-1)?.[Number(name) - 1] ?? '') : (sh.env.get(name) ?? '');
  }
}

/** `$(…)`: the nested line's stdout, trailing newlines removed. */
function substitute(sh: ShellState, src: string, io: Io): string {
  let out = '';
  const code = sh.runNested(src, {
    stdin: '',
    out: (s) => {
      if (out.length < shellLimits.maxOutputBytes) out += s;
    },
    err: io.err,
  });
  sh.lastCode = code;
  return out.replace(/\n+$/, '');
}

function partText(sh: ShellState, p: Part, io: Io): string {
  if (p.t === 'lit') return p.s;
  if (p.t === 'var') {
    const value = varValue(sh, p.name);
    if (!p.alt) return value;
    const set = sh.env.has(p.name) || /^[?$#0]$/.test(p.name);
    switch (p.alt.op) {
      case '#':
        return String(value.length);
      case ':-':
        return value === '' ? p.alt.word : value;
      case '-':
        return set ? value : p.alt.word;
      case ':=':
      case '=':
        if (value === '' && (p.alt.op === ':=' || !set)) {
          sh.env.set(p.name, p.alt.word);
          return p.alt.word;
        }
        return value;
      case ':+':
        return value === '' ? '' : p.alt.word;
      case '+':
        return set ? p.alt.word : '';
      default:
        return value;
    }
  }
  if (p.t === 'arith') {
    try {
      return String(evalArith(p.src, (name) => varValue(sh, name)));
    } catch (err) {
      if (!(err instanceof ArithError)) throw err;
      io.err(`${sh.errPrefix()}${p.src.trim()}: ${err.message}\n`);
      sh.lastCode = 1;
      // An expansion error is fatal to a non-interactive shell (`bash -c` exits with 1).
      if (sh.mode === 'exec') sh.exited = true;
      return '';
    }
  }
  return substitute(sh, p.src, io);
}

export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        const body = pattern
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const hasGlob = (s: string) => /[*?[]/.test(s);

/** Matches a pattern (with `\0`-marked literal characters removed) against the fake filesystem. */
function glob(sh: ShellState, segs: Seg[]): string[] | null {
  if (!segs.some((g) => g.glob && hasGlob(g.s))) return null;
  // Quoted characters are escaped so only the unquoted ones act as wildcards.
  const pattern = segs.map((g) => (g.glob ? g.s : g.s.replace(/[*?[\]\\]/g, '\\$&'))).join('');
  const absolute = pattern.startsWith('/');
  const parts = pattern.split('/').filter((p, i) => p !== '' || i === 0);
  let paths = [absolute ? '/' : ''];
  for (const part of absolute ? parts.slice(1) : parts) {
    const next: string[] = [];
    for (const base of paths) {
      const join = (name: string) => (base === '' ? name : base === '/' ? `/${name}` : `${base}/${name}`);
      if (!/(^|[^\\])[*?[]/.test(part)) {
        const literal = part.replace(/\\(.)/g, '$1');
        if (sh.fs.stat(sh.resolve(join(literal)))) next.push(join(literal));
        continue;
      }
      const re = globToRegExp(
        part.replace(/\\(.)/g, (_, c: string) => (c === '*' || c === '?' || c === '[' ? `[${c}]` : c)),
      );
      const dir = sh.resolve(base === '' ? '.' : base);
      for (const name of sh.fs.list(dir)) {
        if (name.startsWith('.') && !part.startsWith('.')) continue;
        if (re.test(name)) next.push(join(name));
        if (next.length > shellLimits.maxWords) break;
      }
    }
    paths = next;
    if (!paths.length) return null;
  }
  return paths.sort();
}

/** Expands one word into zero or more fields. */
export function expandWord(sh: ShellState, word: Word, io: Io): string[] {
  const fields: Seg[][] = [];
  let cur: Seg[] | null = null;
  for (const p of word) {
    const text = partText(sh, p, io);
    if (p.q || p.t === 'lit') {
      cur ??= [];
      cur.push({ s: text, glob: !p.q });
      continue;
    }
    // Unquoted expansion: split on IFS whitespace; each piece may also glob.
    const pieces = text.split(/[ \t\n]+/);
    pieces.forEach((piece, i) => {
      if (i > 0 && cur) {
        fields.push(cur);
        cur = null;
      }
      if (piece !== '') {
        cur ??= [];
        cur.push({ s: piece, glob: true });
      }
    });
  }
  if (cur) fields.push(cur);
  const out: string[] = [];
  for (const f of fields) {
    const matched = glob(sh, f);
    if (matched) out.push(...matched);
    else out.push(f.map((g) => g.s).join(''));
    if (out.length > shellLimits.maxWords) break;
  }
  return out;
}

/** Expansion without splitting or globbing (assignment values, redirection targets). */
export function expandString(sh: ShellState, word: Word, io: Io): string {
  return word.map((p) => partText(sh, p, io)).join('');
}
