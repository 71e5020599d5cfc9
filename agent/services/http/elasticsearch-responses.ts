import { createHash } from 'node:crypto';

/**
 * Elasticsearch REST bodies. Real builds (number → hash, date, Lucene) so that `GET /` matches what
 * the version's own binary prints; unknown versions get a stable derived build.
 */
type Build = Readonly<{ hash: string; date: string; lucene: string }>;

const builds: Readonly<Record<string, Build>> = {
  '7.10.2': { hash: '747e1cc71def077253878a59143c1f785afa92b9', date: '2021-01-13T00:42:12.435326Z', lucene: '8.7.0' },
  '7.17.0': {
    hash: 'bee86328705acaa9a6daede7140defd4d9ec56bd',
    date: '2022-01-28T08:36:04.875279988Z',
    lucene: '8.11.1',
  },
  '7.17.1': {
    hash: 'e5acb99f822233d62d6444ce45a4543dc1c8059a',
    date: '2022-02-23T22:20:54.153567231Z',
    lucene: '8.11.1',
  },
  '7.17.2': {
    hash: 'de7261de50d90919ae53b0eff9413fd7e5307301',
    date: '2022-03-28T15:12:21.446567561Z',
    lucene: '8.11.1',
  },
  '7.17.3': {
    hash: '5ad023604c8d7416c9eb6c0eadb62b14e766caff',
    date: '2022-04-19T08:11:19.070913226Z',
    lucene: '8.11.1',
  },
  '7.17.4': {
    hash: '79878662c54c886ae89206c685d9f1051a9d6411',
    date: '2022-05-18T18:04:20.964345128Z',
    lucene: '8.11.1',
  },
  '7.17.5': {
    hash: '8d61b4f7ddf931f219e3745f295ed2bbc50c8e84',
    date: '2022-06-23T21:57:28.736740635Z',
    lucene: '8.11.1',
  },
  '7.17.6': {
    hash: 'f65e9d338dc1d07b642e14a27f338990148ee5b6',
    date: '2022-08-23T11:08:48.893373482Z',
    lucene: '8.11.1',
  },
  '8.2.0': {
    hash: 'b174af62e8dd9f4ac4d25875e9381ffe2b9282c5',
    date: '2022-04-20T10:35:10.180408517Z',
    lucene: '9.1.0',
  },
  '8.4.2': {
    hash: '89f8c6d8429db93b816403ee75e5c270b43a940a',
    date: '2022-09-14T16:26:04.382547801Z',
    lucene: '9.3.0',
  },
  '8.4.3': {
    hash: '42f05b9372a9a4a470db3b52817899b99a76ee73',
    date: '2022-10-04T07:17:24.662462378Z',
    lucene: '9.3.0',
  },
  '8.7.1': {
    hash: 'f229ed3f893a515d590d0f39b05f68913e2d9b53',
    date: '2023-04-27T04:33:42.127815583Z',
    lucene: '9.5.0',
  },
  '8.12.2': {
    hash: '48a287ab9497e852de30327444b0809e55d46466',
    date: '2024-02-19T10:04:32.774273190Z',
    lucene: '9.9.2',
  },
  '8.13.0': {
    hash: '09df99393193b2c53d92899662a8b8b3c55b45cd',
    date: '2024-03-22T03:35:46.757803203Z',
    lucene: '9.10.0',
  },
  '8.15.0': {
    hash: '1a77947f34deddb41af25e6f0ddb8e830159c179',
    date: '2024-08-05T10:05:34.233336849Z',
    lucene: '9.11.1',
  },
};

/**
 * 7.10.2, the last Apache-2.0 release, is among the most common exposed (security-less) nodes;
 * its responses also predate the X-elastic-product header.
 */
export const defaultEsVersion = '7.10.2';

/** True when `version` is at least major.minor. */
export function esAtLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split('.').map((n) => Number.parseInt(n, 10) || 0);
  return a > major || (a === major && b >= minor);
}

export function esBuild(version: string): Build {
  const known = builds[version];
  if (known) return known;
  const hash = createHash('sha1').update(`es-${version}`).digest('hex');
  return { hash, date: '2023-11-10T22:03:46.987399016Z', lucene: version.startsWith('7.') ? '8.11.1' : '9.11.1' };
}

/** Stable 22-character id in Elasticsearch's base64url UUID style, derived from a seed. */
export function esUuid(seed: string): string {
  return createHash('sha256').update(seed).digest('base64url').slice(0, 22);
}

export type EsIdentity = Readonly<{
  nodeName: string;
  clusterName: string;
  clusterUuid: string;
  version: string;
  buildType: string;
}>;

/** Jackson's default pretty printer (" : " separators, two-space indent) with a trailing newline, as `GET /` prints. */
export function jacksonPretty(value: unknown, indent = ''): string {
  const next = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[ ]';
    return `[ ${value.map((v) => jacksonPretty(v, indent)).join(', ')} ]`;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{ }';
    return `{\n${entries.map(([k, v]) => `${next}${JSON.stringify(k)} : ${jacksonPretty(v, next)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

export function esRoot(id: EsIdentity): string {
  const b = esBuild(id.version);
  const v7 = id.version.startsWith('7.');
  return (
    jacksonPretty({
      name: id.nodeName,
      cluster_name: id.clusterName,
      cluster_uuid: id.clusterUuid,
      version: {
        number: id.version,
        build_flavor: 'default',
        build_type: id.buildType,
        build_hash: b.hash,
        build_date: b.date,
        build_snapshot: false,
        lucene_version: b.lucene,
        minimum_wire_compatibility_version: v7 ? '6.8.0' : '7.17.0',
        minimum_index_compatibility_version: v7 ? '6.0.0-beta1' : '7.0.0',
      },
      tagline: 'You Know, for Search',
    }) + '\n'
  );
}

export function esHealth(id: EsIdentity): string {
  // JSON.stringify would print 100 where Elasticsearch prints 100.0.
  return `{"cluster_name":${JSON.stringify(id.clusterName)},"status":"green","timed_out":false,"number_of_nodes":1,"number_of_data_nodes":1,"active_primary_shards":1,"active_shards":1,"relocating_shards":0,"initializing_shards":0,"unassigned_shards":0,"delayed_unassigned_shards":0,"number_of_pending_tasks":0,"number_of_in_flight_fetch":0,"task_max_waiting_in_queue_millis":0,"active_shards_percent_as_number":100.0}`;
}

/** `_cat/indices`: a fresh node holds nothing, from 7.14 on only the GeoIP database index. */
export function esCatIndices(id: EsIdentity, verbose: boolean): string {
  const rows = !esAtLeast(id.version, 7, 14)
    ? []
    : [
        [
          'green',
          'open',
          '.geoip_databases',
          esUuid(`${id.clusterUuid}/geoip`),
          '1',
          '0',
          '41',
          '0',
          '38.8mb',
          '38.8mb',
        ],
      ];
  if (verbose)
    rows.unshift([
      'health',
      'status',
      'index',
      'uuid',
      'pri',
      'rep',
      'docs.count',
      'docs.deleted',
      'store.size',
      'pri.store.size',
    ]);
  if (rows.length === 0) return '';
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  // cat pads every column but the last, right-aligning numbers like Elasticsearch's Table renderer.
  const numeric = new Set([4, 5, 6, 7, 8, 9]);
  return rows
    .map(
      (r) =>
        r
          .map((cell, c) =>
            c === r.length - 1 && !numeric.has(c)
              ? cell
              : numeric.has(c)
                ? cell.padStart(widths[c] ?? 0)
                : cell.padEnd(widths[c] ?? 0),
          )
          .join(' ') + '\n',
    )
    .join('');
}

export const esEmptySearch =
  '{"took":1,"timed_out":false,"_shards":{"total":0,"successful":0,"skipped":0,"failed":0},"hits":{"total":{"value":0,"relation":"eq"},"max_score":0.0,"hits":[]}}';

export function esIndexNotFound(index: string): string {
  const e = {
    type: 'index_not_found_exception',
    reason: `no such index [${index}]`,
    'resource.type': 'index_or_alias',
    'resource.id': index,
    index_uuid: '_na_',
    index,
  };
  return JSON.stringify({ error: { root_cause: [e], ...e }, status: 404 });
}

export function esNoHandler(path: string, method: string): string {
  return JSON.stringify({ error: `no handler found for uri [${path}] and method [${method}]` });
}
