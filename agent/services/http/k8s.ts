import { createHash, randomUUID } from 'node:crypto';
import type net from 'node:net';
import tls from 'node:tls';
import { goBadRequest, goProto, goResponse } from './go-http';
import { defaultK8sVersion, k8sForbidden, k8sUnauthorized, k8sVersionJson } from './k8s-responses';
import { listenAll } from '../kit/listen-all';
import { requestCapture, serveMiniHttp, type MiniRequest, type MiniResponse } from './mini-http';
import { deckyHostname, personaString } from '../kit/persona';
import type { ConnectionMeta } from '../kit/tcp-listener';
import { personaCert } from '../kit/tls-cert';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/** `Bearer x` / `Basic x` → what the analyst wants to see; null without an Authorization header. */
export function parseAuthorization(header: string | undefined): Record<string, string> | null {
  if (!header) return null;
  const bearer = /^Bearer\s+(.+)$/i.exec(header);
  if (bearer?.[1]) return { method: 'bearer', token: bearer[1].slice(0, 4096) };
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const at = decoded.indexOf(':');
    return {
      method: 'basic',
      username: (at < 0 ? decoded : decoded.slice(0, at)).slice(0, 1024),
      password: at < 0 ? '' : decoded.slice(at + 1, at + 1025),
    };
  }
  return { method: 'other', value: header.slice(0, 1024) };
}

export type K8sPersona = Readonly<{ version: string; flowSchemaUid: string; priorityLevelUid: string }>;

/** Anonymous auth is on (kubeadm default): /version and health are public, the rest is RBAC-denied. */
export function k8sRoute(req: MiniRequest, p: K8sPersona): MiniResponse {
  const base = { 'Audit-Id': randomUUID(), 'Cache-Control': 'no-cache, private' };
  const authed = {
    ...base,
    'X-Kubernetes-Pf-Flowschema-Uid': p.flowSchemaUid,
    'X-Kubernetes-Pf-Prioritylevel-Uid': p.priorityLevelUid,
  };
  // Any credential is checked before authorisation: an unknown token is a 401 even for /version.
  if (req.headers.authorization)
    return goResponse(401, { ...base, 'Content-Type': 'application/json' }, k8sUnauthorized);
  if (req.path === '/version' && (req.method === 'GET' || req.method === 'HEAD'))
    return goResponse(200, { ...authed, 'Content-Type': 'application/json' }, k8sVersionJson(p.version));
  if (['/healthz', '/livez', '/readyz'].includes(req.path) && req.method === 'GET')
    return goResponse(
      200,
      { ...authed, 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
      'ok',
    );
  return goResponse(
    403,
    { ...authed, 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' },
    k8sForbidden(req.method, req.path, req.query.get('watch') === 'true'),
  );
}

/** `exec`/`attach` sub-resources carry the command line in repeated `command` query parameters. */
function execCommand(req: MiniRequest): Record<string, unknown> | null {
  const m = /\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach)$/.exec(req.path);
  if (!m) return null;
  return {
    action: m[3],
    namespace: m[1],
    pod: m[2],
    container: req.query.get('container') ?? '',
    command: req.query
      .getAll('command')
      .slice(0, 64)
      .map((c) => c.slice(0, 1024)),
  };
}

async function start(ctx: ServiceContext): Promise<RunningService> {
  const hostname = deckyHostname(ctx.decky);
  const uid = (salt: string) => {
    const h = createHash('sha256').update(`${ctx.decky.name}/${salt}`).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };
  const persona: K8sPersona = {
    version: personaString(ctx.persona, 'version', '') || defaultK8sVersion,
    flowSchemaUid: uid('flowschema'),
    priorityLevelUid: uid('prioritylevel'),
  };
  // kubeadm's apiserver certificate: CN kube-apiserver with the in-cluster service names as SANs.
  const pair = await personaCert(ctx.dataDir, {
    cn: 'kube-apiserver',
    dnsNames: [
      hostname,
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      'kubernetes.default.svc.cluster.local',
    ],
    ips: ['10.96.0.1', ctx.decky.ip],
  });
  const secureContext = tls.createSecureContext({ key: pair.key, cert: pair.cert });

  const handler = (catalogPort: number, useTls: boolean) => ({
    catalogPort,
    onConnection: (socket: net.Socket, meta: ConnectionMeta) => {
      let stream = socket;
      if (useTls) {
        const t = new tls.TLSSocket(socket, { isServer: true, secureContext });
        t.on('error', (err) => {
          ctx.log.debug('tls error', { src: meta.src, err });
          socket.destroy();
        });
        stream = t;
      }
      serveMiniHttp(stream, {
        ctx,
        meta,
        tls: useTls,
        badRequest: goBadRequest,
        handle: (req) => {
          const auth = parseAuthorization(req.headers.authorization);
          ctx.capture({
            src: meta.src,
            kind: 'request',
            data: { session: meta.session, port: catalogPort, ...requestCapture(req) },
          });
          if (auth)
            ctx.capture({
              src: meta.src,
              kind: 'auth',
              data: { session: meta.session, port: catalogPort, path: req.path.slice(0, 512), ...auth },
            });
          const exec = execCommand(req);
          if (exec)
            ctx.capture({
              src: meta.src,
              kind: 'command',
              data: { session: meta.session, port: catalogPort, ...exec },
            });
          return goProto(req, k8sRoute(req, persona));
        },
      });
    },
  });
  return listenAll(ctx, [handler(6443, true), handler(8080, false)]);
}

export const k8sService: ServiceModule = { name: 'k8s', start };
