import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { z } from 'zod';
import { errorCodes, isErrorCode } from '../../../shared/errors';
import { commandAccess } from '../../../shared/ipc/command-access';
import type { RouteTable } from '../../../shared/protocol/route';

// Arbitraries and answer checks of the hostile fuzzer (fuzz.test.ts): values that reach deep into
// validation (the schema's own keys with nasty values) as well as plain garbage.

/** Strings a hand-written attack would try: traversal, NUL, huge, prototype keys, injections. */
const nastyString = fc.constantFrom(
  '',
  ' ',
  '../../../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  'a\u0000b',
  'x'.repeat(70_000),
  '__proto__',
  'constructor',
  'toString',
  '127.0.0.1',
  '::1',
  '0.0.0.0/0',
  '300.1.1.1',
  '00000000-0000-4000-8000-000000000000',
  'ssh',
  'http',
  'linux-server',
  '1970-01-01T00:00:00.000Z',
  '9999-12-31T23:59:59.999Z',
  'not-a-date',
  '${jndi:ldap://127.0.0.1/x}',
  '<script>alert(1)</script>',
  "'; DROP TABLE hosts; --",
  '\u202e\ud800',
  'DECNET1-' + '0'.repeat(64) + '-' + 'A'.repeat(43),
);
const nastyNumber = fc.constantFrom(-1, 0, 1, 0.5, 22, 65_535, 65_536, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308, -0);
const leaf = fc.oneof(fc.jsonValue({ maxDepth: 1 }), nastyString, nastyNumber, fc.boolean(), fc.constant(null));
const jsonValue = fc.oneof(
  { weight: 3, arbitrary: leaf },
  fc.array(leaf, { maxLength: 6 }),
  fc.dictionary(fc.oneof(nastyString, fc.string({ maxLength: 8 })), leaf, { maxKeys: 4 }),
);

/** The top-level keys of an object schema (or of each branch of a union), to build near-valid inputs. */
export function keysOf(schema: z.ZodType): string[] {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  if (schema instanceof z.ZodUnion) return [...new Set((schema.options as z.ZodType[]).flatMap(keysOf))];
  if (schema instanceof z.ZodPipe) return keysOf(schema.in as z.ZodType);
  return [];
}

/** A JSON value for an input with these keys: keys of the schema with wrong values, or garbage. */
export function jsonInput(keys: readonly string[]): fc.Arbitrary<unknown> {
  const keyed =
    keys.length === 0
      ? fc.constant({})
      : fc.record(Object.fromEntries(keys.map((k) => [k, jsonValue])), { requiredKeys: [] });
  return fc.oneof(
    { weight: 4, arbitrary: keyed },
    fc.dictionary(fc.oneof(fc.constantFrom(...keys, '__proto__', 'constructor'), fc.string()), jsonValue, {
      maxKeys: 5,
    }),
    fc.jsonValue({ maxDepth: 3 }),
    nastyString,
  );
}

/** What a structured-clone IPC call can carry that JSON cannot: Map, Set, Date, BigInt, typed arrays, holes. */
export function ipcInput(keys: readonly string[]): fc.Arbitrary<unknown> {
  const any = fc.anything({
    maxDepth: 2,
    withBigInt: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    withSparseArray: true,
    withNullPrototype: true,
    withBoxedValues: true,
  });
  const keyed =
    keys.length === 0
      ? fc.constant({})
      : fc.record(Object.fromEntries(keys.map((k) => [k, fc.oneof(any, jsonValue)])), { requiredKeys: [] });
  return fc.oneof({ weight: 3, arbitrary: keyed }, any, fc.constant(undefined), fc.constant(null));
}

export type RawBody = Readonly<{ text: string; contentType: string | null }>;

/** The bytes sent: the value as JSON, or a broken encoding of it, under a right or wrong media type. */
export function rawBody(value: fc.Arbitrary<unknown>): fc.Arbitrary<RawBody> {
  const text = fc.oneof(
    { weight: 4, arbitrary: value.map((v) => JSON.stringify(v) ?? 'null') },
    value.map((v) => (JSON.stringify(v) ?? 'null').slice(0, -1)),
    fc.constantFrom('', '{', '[]', 'null', '{"__proto__":{"polluted":true}}', '{"a":1}{"b":2}', '\u0000'),
    fc.string({ maxLength: 40 }),
  );
  const contentType = fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/jsonfoo',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    null,
  );
  return fc.record({ text, contentType });
}

/** What a server parses out of `raw` ({} for an empty body, as route-server reads it), or a marker. */
export function parsedBody(raw: string): unknown {
  if (raw === '') return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return NOT_JSON;
  }
}
export const NOT_JSON = Symbol('not json');

/** The route a request lands on (the query is ignored, as by route-server), or null. */
export function routeOf(table: RouteTable, method: string, path: string) {
  const p = path.split('?')[0];
  return Object.values(table).find((r) => r.method === method && r.path === p) ?? null;
}

/** Paths a scanner tries: the real ones, with a query, a trailing slash, doubled or traversing, or random. */
export function pathFor(real: readonly string[]): fc.Arbitrary<string> {
  const base = fc.constantFrom(...real);
  return fc.oneof(
    { weight: 4, arbitrary: base },
    base.map((p) => `${p}?token=x&a[]=1`),
    base.map((p) => `${p}/`),
    base.map((p) => `/${p}`),
    base.map((p) => `/x/..${p}`),
    base.map((p) => p.toUpperCase()),
    base.map((p) => `${p}%00`),
    fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)),
  );
}

/**
 * Commands that only read (the contract's own classification): any input, valid or not, may be
 * answered ok. The worker package is a read too, but it builds a tarball each time: kept out.
 */
export const readOnly = new Set<string>(
  Object.entries(commandAccess)
    .filter(([c, access]) => access === 'read' && c !== 'hosts.agentPackage')
    .map(([c]) => c),
);

/** The path as the client sends it (undici resolves dot segments through URL), or null if it cannot. */
export function asSent(base: string, path: string): string | null {
  try {
    const u = new URL(`${base}${path}`);
    return u.pathname + u.search;
  } catch {
    return null;
  }
}

export type Envelope = 'result' | 'route';

/**
 * A refusal as the contract defines it: a 4xx whose JSON body carries a registered code mapped to
 * that very status and a one-line message (`{ok:false,error}` for the console, `{error}` for the
 * mTLS routes). Returns a problem description, or null when the answer is fine.
 */
export function refusalProblem(status: number, text: string, envelope: Envelope): string | null {
  if (status < 400 || status >= 500) return `status ${status}`;
  let body: { ok?: unknown; error?: { code?: unknown; message?: unknown } };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return `status ${status} with a body that is not JSON: ${text.slice(0, 120)}`;
  }
  if (envelope === 'result' && body.ok !== false) return `no ok:false in ${text.slice(0, 200)}`;
  const code = body.error?.code;
  if (!isErrorCode(code)) return `unregistered error code in ${text.slice(0, 200)}`;
  if (errorCodes[code].status !== status) return `code ${code} sent with status ${status}`;
  const message = body.error?.message;
  if (typeof message !== 'string' || message.length === 0) return `no message in ${text.slice(0, 200)}`;
  if (message.includes('\n')) return `multi-line message: ${message.slice(0, 200)}`;
  return null;
}

/** SHA-256 of every file under `dir`, by relative path: the state files must not move. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile())
        out[relative(dir, p)] = createHash('sha256')
          .update(await readFile(p))
          .digest('hex');
    }
  };
  await walk(dir);
  return out;
}

/**
 * Valid input for the state-changing commands that names nothing that exists (the fuzz world has
 * no deckies, topologies, incidents or channels): each must be refused and change nothing.
 */
export function absentTargets(hostUuid: string): fc.Arbitrary<{ c: string; i: unknown }> {
  const name = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,62}$/);
  const text = fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom('__proto__', 'constructor', '../x', ''));
  const service = fc.constantFrom('ssh', 'http', 'ftp', 'redis');
  return fc.oneof(
    fc.record({
      c: fc.constant('deckies.mutate'),
      i: fc.record({
        deckyName: name,
        services: fc.array(service, { minLength: 1, maxLength: 3 }),
        dryRun: fc.boolean(),
      }),
    }),
    fc.record({
      c: fc.constant('deckies.setMutateInterval'),
      i: fc.record({
        deckyName: name,
        mutateInterval: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 10080 })),
      }),
    }),
    fc.record({ c: fc.constant('deckies.teardown'), i: fc.record({ deckyName: name }) }),
    fc.record({
      c: fc.constant('deckies.redeploy'),
      i: fc.oneof(
        fc.record({ deckyName: name }),
        fc.record({ hostUuid: fc.uuid({ version: 4 }), degradedOnly: fc.constant(true as const) }),
      ),
    }),
    fc.record({
      c: fc.constant('hosts.setNetwork'),
      i: fc.record({ hostUuid: fc.uuid({ version: 4 }), settings: fc.constant({}) }),
    }),
    fc.record({ c: fc.constant('hosts.decommission'), i: fc.record({ hostUuid: fc.uuid({ version: 4 }) }) }),
    fc.record({ c: fc.constantFrom('topologies.delete', 'topologies.teardown'), i: fc.record({ topologyId: text }) }),
    fc.record({
      c: fc.constant('topologies.apply'),
      i: fc.record({ topologyId: text, hostUuid: fc.constant(hostUuid) }),
    }),
    fc.record({
      c: fc.constant('incidents.update'),
      i: fc.record({ id: fc.uuid({ version: 4 }), state: fc.constantFrom('acknowledged', 'closed') }),
    }),
    fc.record({
      c: fc.constant('alerts.test'),
      i: fc.record({ channelId: fc.string({ minLength: 1, maxLength: 64 }) }),
    }),
  );
}
