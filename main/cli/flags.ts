import type { z } from 'zod';
import { describeZodError } from '../../shared/errors';

/** How a command-line string becomes a value of one input field. */
export type FlagKind = 'string' | 'number' | 'boolean' | 'list' | 'number-list' | 'json';

export type DerivedFlag = Readonly<{
  key: string;
  flag: string;
  kind: FlagKind;
  required: boolean;
  nullable: boolean;
  hint: string;
}>;

type Def = {
  type: string;
  innerType?: z.ZodType;
  element?: z.ZodType;
  entries?: Record<string, string>;
  options?: z.ZodType[];
};
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

export const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Strips optional/nullable/default wrappers, remembering whether null is accepted. */
function unwrap(s: z.ZodType): { inner: z.ZodType; optional: boolean; nullable: boolean } {
  let inner = s;
  let optional = false;
  let nullable = false;
  for (;;) {
    const d = defOf(inner);
    if (d.type === 'optional' || d.type === 'default') optional = true;
    else if (d.type === 'nullable') nullable = true;
    else return { inner, optional, nullable };
    inner = d.innerType!;
  }
}

function kindOf(s: z.ZodType): { kind: FlagKind; hint: string } {
  const d = defOf(s);
  if (d.type === 'string') return { kind: 'string', hint: 'TEXT' };
  if (d.type === 'number') return { kind: 'number', hint: 'N' };
  if (d.type === 'boolean') return { kind: 'boolean', hint: '' };
  if (d.type === 'enum') return { kind: 'string', hint: Object.values(d.entries ?? {}).join('|') };
  if (d.type === 'array') {
    const el = unwrap(d.element!).inner;
    const t = defOf(el).type;
    if (t === 'string' || t === 'enum') return { kind: 'list', hint: 'A,B,…' };
    if (t === 'number') return { kind: 'number-list', hint: 'N,N,…' };
  }
  return { kind: 'json', hint: 'JSON' };
}

/**
 * One flag per top-level field of a contract command's input schema, so a field added to the
 * contract is a flag by construction (`deckyName` → `--decky-name`).
 */
export function flagsOf(input: z.ZodType): DerivedFlag[] {
  const shape = (input as unknown as { shape?: Record<string, z.ZodType> }).shape ?? {};
  return Object.entries(shape).map(([key, schema]) => {
    const { inner, optional, nullable } = unwrap(schema);
    const { kind, hint } = kindOf(inner);
    return {
      key,
      flag: kebab(key),
      kind,
      required: !optional,
      nullable,
      hint: nullable ? `${hint || 'VALUE'}|off` : hint,
    };
  });
}

export class UsageError extends Error {}

/** Converts the raw strings to typed values; the contract schema then validates the whole input. */
export function buildInput(
  flags: readonly DerivedFlag[],
  raw: Readonly<Record<string, string | boolean | undefined>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of flags) {
    const v = raw[f.flag];
    if (v === undefined) continue;
    if (f.kind === 'boolean') {
      out[f.key] = v === true || v === 'true';
      continue;
    }
    const s = String(v);
    if (f.nullable && (s === 'off' || s === 'null')) out[f.key] = null;
    else if (f.kind === 'number') out[f.key] = s.trim() === '' ? NaN : Number(s);
    else if (f.kind === 'list')
      out[f.key] = s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
    else if (f.kind === 'number-list') out[f.key] = s.split(',').map((x) => Number(x.trim()));
    else if (f.kind === 'json') {
      try {
        out[f.key] = JSON.parse(s) as unknown;
      } catch {
        throw new UsageError(`--${f.flag} must be JSON`);
      }
    } else out[f.key] = s;
  }
  return out;
}

/** The contract's verdict on the input, phrased with flag names instead of field names. */
export function validateInput(schema: z.ZodType, input: unknown): unknown {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => {
    const [head, ...rest] = i.path.map(String);
    const where = head === undefined ? '' : `--${kebab(head)}${rest.length ? `.${rest.join('.')}` : ''}: `;
    return `${where}${i.message}`;
  });
  throw new UsageError(issues.length ? issues.join('; ') : describeZodError(r.error));
}
