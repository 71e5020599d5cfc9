/**
 * `$(( … ))`: bash's integer arithmetic over 64-bit values, the operators scripts use (unary
 * `- + ! ~`, `* / %`, `+ -`, `<< >>`, comparisons, `== !=`, `& ^ |`, `&& ||`, `?:`, parentheses),
 * variables by name or `$name` (unset or non-numeric is 0), decimal, `0x` hex and leading-0 octal.
 * Pure; errors carry bash's wording so the caller prints them with its prefix.
 */
export class ArithError extends Error {}

type Tok = ({ k: 'num'; v: bigint } | { k: 'op'; v: string }) & { at: number };

const OPS = [
  '<<',
  '>>',
  '<=',
  '>=',
  '==',
  '!=',
  '&&',
  '||',
  '**',
  '+',
  '-',
  '*',
  '/',
  '%',
  '<',
  '>',
  '!',
  '~',
  '&',
  '^',
  '|',
  '(',
  ')',
  '?',
  ':',
];
const MAX_TOKENS = 500;

function lex(expr: string, lookup: (name: string) => string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < expr.length) {
    if (out.length > MAX_TOKENS) throw new ArithError('expression too long');
    const c = expr[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const num = /^(0[xX][0-9a-fA-F]+|\d+)/.exec(expr.slice(i));
    if (num) {
      const t = num[1]!;
      if (/^0\d/.test(t) && /[89]/.test(t))
        throw new ArithError(`${t}: value too great for base (error token is "${t}")`);
      out.push({ k: 'num', v: BigInt.asIntN(64, /^0\d/.test(t) ? BigInt(`0o${t.slice(1)}`) : BigInt(t)), at: i });
      i += t.length;
      continue;
    }
    const name = /^\$?\{?([A-Za-z_][A-Za-z0-9_]*)\}?/.exec(expr.slice(i));
    if (name) {
      const raw = lookup(name[1]!).trim();
      out.push({ k: 'num', v: /^-?\d+$/.test(raw) ? BigInt.asIntN(64, BigInt(raw)) : 0n, at: i });
      i += name[0].length;
      continue;
    }
    const op = OPS.find((o) => expr.startsWith(o, i));
    if (!op) throw new ArithError(`syntax error: invalid arithmetic operator (error token is "${expr.slice(i)}")`);
    out.push({ k: 'op', v: op, at: i });
    i += op.length;
  }
  return out;
}

const levels: readonly (readonly string[])[] = [
  ['||'],
  ['&&'],
  ['|'],
  ['^'],
  ['&'],
  ['==', '!='],
  ['<', '>', '<=', '>='],
  ['<<', '>>'],
  ['+', '-'],
  ['*', '/', '%'],
];
const b = (x: boolean) => (x ? 1n : 0n);

export function evalArith(expr: string, lookup: (name: string) => string): bigint {
  if (!expr.trim()) return 0n;
  const toks = lex(expr, lookup);
  let p = 0;
  const peek = () => toks[p];
  const fail = (): never => {
    const rest = toks
      .slice(p)
      .map((t) => String(t.v))
      .join(' ');
    throw new ArithError(`syntax error: operand expected (error token is "${rest || expr}")`);
  };
  const primary = (): bigint => {
    const t = toks[p++];
    if (!t) return fail();
    if (t.k === 'num') return t.v;
    if (t.v === '(') {
      const v = ternary();
      if (toks[p++]?.v !== ')') throw new ArithError(`missing \`)' (error token is "${expr}")`);
      return v;
    }
    if (t.v === '-') return BigInt.asIntN(64, -unary());
    if (t.v === '+') return unary();
    if (t.v === '!') return b(unary() === 0n);
    if (t.v === '~') return BigInt.asIntN(64, ~unary());
    p--;
    return fail();
  };
  const unary = (): bigint => {
    const base = primary();
    if (peek()?.v === '**') {
      p++;
      const e = unary();
      if (e < 0n) throw new ArithError(`exponent less than 0 (error token is "${expr}")`);
      return BigInt.asIntN(64, base ** (e > 64n ? 64n : e));
    }
    return base;
  };
  const binary = (level: number): bigint => {
    if (level === levels.length) return unary();
    let left = binary(level + 1);
    for (let t = peek(); t?.k === 'op' && levels[level]!.includes(t.v); t = peek()) {
      p++;
      // bash names the right operand's text when it fails on it (division by 0).
      const rightText = expr.slice(toks[p]?.at ?? expr.length).trim();
      const right = binary(level + 1);
      left = apply(t.v, left, right, rightText);
    }
    return left;
  };
  const ternary = (): bigint => {
    const cond = binary(0);
    if (peek()?.v !== '?') return cond;
    p++;
    const yes = ternary();
    if (toks[p++]?.v !== ':') fail();
    const no = ternary();
    return cond !== 0n ? yes : no;
  };
  const v = ternary();
  if (p < toks.length) fail();
  return v;
}

function apply(op: string, l: bigint, r: bigint, rightText: string): bigint {
  const w = (x: bigint) => BigInt.asIntN(64, x);
  switch (op) {
    case '+':
      return w(l + r);
    case '-':
      return w(l - r);
    case '*':
      return w(l * r);
    case '/':
    case '%':
      if (r === 0n) throw new ArithError(`division by 0 (error token is "${rightText}")`);
      return w(op === '/' ? l / r : l % r);
    case '<<':
      return w(l << (r & 63n));
    case '>>':
      return l >> (r & 63n);
    case '<':
      return b(l < r);
    case '>':
      return b(l > r);
    case '<=':
      return b(l <= r);
    case '>=':
      return b(l >= r);
    case '==':
      return b(l === r);
    case '!=':
      return b(l !== r);
    case '&':
      return l & r;
    case '^':
      return l ^ r;
    case '|':
      return l | r;
    case '&&':
      return b(l !== 0n && r !== 0n);
    default:
      return b(l !== 0n || r !== 0n);
  }
}
