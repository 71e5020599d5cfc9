import { randomBytes } from 'node:crypto';
import type { DistroName } from '../../../shared/catalog/distros';
import { deckyHostname, personaString } from '../kit/persona';
import {
  defaultEsVersion,
  esAtLeast,
  esCatIndices,
  esEmptySearch,
  esHealth,
  esIndexNotFound,
  esNoHandler,
  esRoot,
  esUuid,
  jacksonPretty,
  type EsIdentity,
} from './elasticsearch-responses';
import { requestCapture, serveMiniHttp, type MiniRequest, type MiniResponse } from './mini-http';
import { listenTcp } from '../kit/tcp-listener';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/** How the node was installed on this distro (Elastic's apt/yum repositories, else the tarball or image). */
function buildTypeFor(distro: DistroName): string {
  if (distro === 'debian' || distro === 'ubuntu22' || distro === 'ubuntu20' || distro === 'kali') return 'deb';
  if (distro === 'rocky9' || distro === 'centos7' || distro === 'fedora') return 'rpm';
  return distro === 'alpine' ? 'docker' : 'tar';
}

/** Netty's response: the request's HTTP version, lower-case headers, X-elastic-product from 7.14. */
function reply(req: MiniRequest, id: EsIdentity, status: number, contentType: string, body: string): MiniResponse {
  const headers: Array<[string, string]> = esAtLeast(id.version, 7, 14) ? [['X-elastic-product', 'Elasticsearch']] : [];
  headers.push(['content-type', contentType], ['content-length', String(Buffer.byteLength(body))]);
  return { version: req.version, status, headers, body };
}

const badRequestBody =
  '{"error":{"root_cause":[{"type":"illegal_argument_exception","reason":"text is empty (possibly HTTP/0.9)"}],"type":"illegal_argument_exception","reason":"text is empty (possibly HTTP/0.9)"},"status":400}';
const badRequest = `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json; charset=UTF-8\r\ncontent-length: ${badRequestBody.length}\r\n\r\n${badRequestBody}`;

/** The REST routes a scanner or ransom bot walks: info, health, indices, search, index writes. */
export function esRoute(req: MiniRequest, id: EsIdentity): MiniResponse {
  const json = (status: number, body: string) => reply(req, id, status, 'application/json; charset=UTF-8', body);
  const text = (body: string) => reply(req, id, 200, 'text/plain; charset=UTF-8', body);
  const pretty = req.query.has('pretty') && req.query.get('pretty') !== 'false';
  const out = (status: number, body: string) => json(status, pretty ? jacksonPretty(JSON.parse(body)) + '\n' : body);
  const segs = req.path
    .split('/')
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  const m = req.method;
  const first = segs[0] ?? '';
  if (segs.length === 0) {
    if (m === 'GET' || m === 'HEAD') return json(200, esRoot(id));
    return json(
      405,
      JSON.stringify({
        error: `Incorrect HTTP method for uri [/] and method [${m}], allowed: [HEAD, GET]`,
        status: 405,
      }),
    );
  }
  if (first === '_cluster' && segs[1] === 'health' && m === 'GET') return out(200, esHealth(id));
  if (first === '_cat' && segs[1] === 'indices' && m === 'GET') return text(esCatIndices(id, req.query.has('v')));
  if (first === '_cat' && segs[1] === 'health' && m === 'GET') {
    const epoch = Math.floor(Date.now() / 1000);
    const t = new Date().toISOString().slice(11, 19);
    return text(`${epoch} ${t} ${id.clusterName} green 1 1 1 1 0 0 0 0 - 100.0%\n`);
  }
  const last = segs[segs.length - 1];
  if (last === '_search' && (m === 'GET' || m === 'POST')) {
    const index = segs.length > 1 ? first : '_all';
    if (index === '_all' || index.includes('*') || (index === '.geoip_databases' && esAtLeast(id.version, 7, 14)))
      return out(200, esEmptySearch);
    return out(404, esIndexNotFound(index));
  }
  if (first.startsWith('_')) return json(400, esNoHandler(req.path, m));
  if (segs.length === 1 && m === 'PUT')
    return out(200, JSON.stringify({ acknowledged: true, shards_acknowledged: true, index: first }));
  if (segs.length === 1 && m === 'DELETE') return out(200, '{"acknowledged":true}');
  if (segs[1] === '_doc' && (m === 'POST' || m === 'PUT')) {
    const docId = segs[2] ?? randomBytes(15).toString('base64url').slice(0, 20);
    const typed = id.version.startsWith('7.') ? { _type: '_doc' } : {};
    return out(
      201,
      JSON.stringify({
        _index: first,
        ...typed,
        _id: docId,
        _version: 1,
        result: 'created',
        _shards: { total: 2, successful: 1, failed: 0 },
        _seq_no: 0,
        _primary_term: 1,
      }),
    );
  }
  if (segs.length === 1 && (m === 'GET' || m === 'HEAD')) return out(404, esIndexNotFound(first));
  return json(400, esNoHandler(req.path, m));
}

async function start(ctx: ServiceContext): Promise<RunningService> {
  const nodeName = deckyHostname(ctx.decky);
  const id: EsIdentity = {
    nodeName,
    clusterName: personaString(ctx.persona, 'clusterName', '') || 'elasticsearch',
    // Derived from the decky so that it survives restarts, as a real cluster's UUID does.
    clusterUuid: esUuid(`${ctx.decky.name}/cluster`),
    version: personaString(ctx.persona, 'version', '') || defaultEsVersion,
    buildType: buildTypeFor(ctx.decky.distro),
  };
  const listener = await listenTcp({
    host: ctx.host,
    port: ctx.port(9200),
    capture: ctx.capture,
    log: ctx.log,
    onConnection: (socket, meta) =>
      serveMiniHttp(socket, {
        ctx,
        meta,
        tls: false,
        badRequest,
        handle: (req) => {
          ctx.capture({ src: meta.src, kind: 'request', data: { session: meta.session, ...requestCapture(req) } });
          return esRoute(req, id);
        },
      }),
  });
  return { bound: [listener.bound], close: listener.close };
}

export const elasticsearchService: ServiceModule = { name: 'elasticsearch', start };
