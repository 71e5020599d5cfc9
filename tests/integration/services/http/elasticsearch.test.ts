import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elasticsearchService } from '../../../../agent/services/http/elasticsearch';
import { eventually } from '../../../helpers/eventually';
import { run } from '../mail-infra-helpers';
import { startService, type ServiceHarness } from '../service-harness';

const ip = '127.31.0.6';

describe('elasticsearch honeypot', () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await startService(elasticsearchService, {
      ip,
      hostname: 'search-01',
      distro: 'debian',
      services: ['elasticsearch'],
      serviceConfig: { elasticsearch: { version: '7.17.6', clusterName: 'prod-logs' } },
    });
  });
  afterAll(() => h.stop());

  it('GET / is the cluster info document of the persona version, headers as Netty sends them', async () => {
    const r = await run('curl', ['-si', `http://${ip}:9200/`]);
    expect(r.stdout).toMatch(
      /^HTTP\/1\.1 200 OK\r\nX-elastic-product: Elasticsearch\r\ncontent-type: application\/json; charset=UTF-8\r\ncontent-length: \d+\r\n\r\n/,
    );
    const body = JSON.parse(r.stdout.slice(r.stdout.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    expect(body).toMatchObject({
      name: 'search-01',
      cluster_name: 'prod-logs',
      tagline: 'You Know, for Search',
      version: {
        number: '7.17.6',
        build_type: 'deb',
        build_hash: 'f65e9d338dc1d07b642e14a27f338990148ee5b6',
        lucene_version: '8.11.1',
      },
    });
    expect(r.stdout).toContain('"cluster_name" : "prod-logs"');
  });

  it('answers health, cat indices and searches like an empty node, and records every request', async () => {
    const health = JSON.parse((await run('curl', ['-s', `http://${ip}:9200/_cluster/health`])).stdout) as Record<
      string,
      unknown
    >;
    expect(health).toMatchObject({ cluster_name: 'prod-logs', status: 'green', number_of_nodes: 1 });
    const cat = await run('curl', ['-s', `http://${ip}:9200/_cat/indices?v`]);
    expect(cat.stdout).toMatch(/^health status index\s+uuid\s+pri rep docs\.count/);
    const search = JSON.parse(
      (
        await run('curl', [
          '-s',
          '-XPOST',
          `http://${ip}:9200/_search`,
          '-H',
          'content-type: application/json',
          '-d',
          '{"query":{"match_all":{}}}',
        ])
      ).stdout,
    ) as { hits: { total: { value: number } } };
    expect(search.hits.total.value).toBe(0);
    const missing = await run('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      `http://${ip}:9200/customers/_search`,
    ]);
    expect(missing.stdout).toBe('404');
    await eventually(() =>
      h.ofKind('request').some((c) => c.data.path === '/_search' && String(c.data.body).includes('match_all')),
    );
    expect(h.ofKind('request').map((c) => c.data.path)).toEqual(
      expect.arrayContaining(['/', '/_cluster/health', '/_cat/indices?v', '/customers/_search']),
    );
  });

  it('echoes HTTP/1.0 and refuses garbage as malformed', async () => {
    const r = await run('curl', ['-si', '-0', `http://${ip}:9200/`]);
    expect(r.stdout.startsWith('HTTP/1.0 200 OK')).toBe(true);
    const bad = await run('curl', ['-si', '-X', 'G E T', `http://${ip}:9200/`]);
    expect(bad.stdout).toContain('400 Bad Request');
    await eventually(() => h.ofKind('malformed').length > 0);
  });
});
