import { randomBytes } from 'node:crypto';
import { distros } from '../../../shared/catalog/distros';
import {
  dockerIdentity,
  dockerInfoBody,
  dockerVersionBody,
  summariseCreate,
  type DockerIdentity,
} from './docker-api-responses';
import { goBadRequest, goProto, goResponse } from './go-http';
import { requestCapture, serveMiniHttp, type MiniRequest, type MiniResponse } from './mini-http';
import { deckyHostname, personaString } from '../kit/persona';
import { listenTcp } from '../kit/tcp-listener';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

const osNames: Readonly<Record<string, string>> = {
  debian: 'Debian GNU/Linux 12 (bookworm)',
  ubuntu22: 'Ubuntu 22.04.4 LTS',
  ubuntu20: 'Ubuntu 20.04.6 LTS',
  rocky9: 'Rocky Linux 9.4 (Blue Onyx)',
  centos7: 'CentOS Linux 7 (Core)',
  alpine: 'Alpine Linux v3.19',
  fedora: 'Fedora Linux 39 (Server Edition)',
  kali: 'Kali GNU/Linux Rolling',
  arch: 'Arch Linux',
};

export type DockerCommand = Readonly<{ action: string; [k: string]: unknown }>;

const hexId = () => randomBytes(32).toString('hex');

function versionCompare(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split('.').map(Number);
  const [b1 = 0, b2 = 0] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
}

/**
 * dockerd's REST surface as an attacker drives it (`docker -H tcp://…`, cryptominer droppers):
 * discovery answers truthfully shaped, container/exec creation "succeeds" so the attacker sends the
 * full payload, and nothing is ever run. `onCommand` records each create/exec/pull.
 */
export function dockerRoute(req: MiniRequest, d: DockerIdentity, onCommand: (c: DockerCommand) => void): MiniResponse {
  const common = {
    'Api-Version': d.apiVersion,
    'Docker-Experimental': 'false',
    Ostype: 'linux',
    Server: `Docker/${d.version} (linux)`,
  };
  const json = (status: number, body: unknown, extra: Record<string, string> = {}) =>
    goResponse(
      status,
      { ...common, 'Content-Type': 'application/json', ...extra },
      typeof body === 'string' ? body : JSON.stringify(body) + '\n',
    );
  const notFound = (message: string) => json(404, { message });
  let path = req.path;
  const ver = /^\/v(\d+\.\d+)(\/.*)$/.exec(path);
  if (ver) {
    const asked = ver[1] as string;
    path = ver[2] as string;
    if (versionCompare(asked, d.apiVersion) > 0)
      return json(400, {
        message: `client version ${asked} is too new. Maximum supported API version is ${d.apiVersion}`,
      });
    if (versionCompare(asked, d.minApiVersion) < 0)
      return json(400, {
        message: `client version ${asked} is too old. Minimum supported API version is ${d.minApiVersion}, please upgrade your client to a newer version`,
      });
  }
  const m = req.method;
  const body = req.body.toString('utf8');
  if (path === '/_ping' && (m === 'GET' || m === 'HEAD')) {
    const h = {
      ...common,
      'Builder-Version': Number.parseInt(d.version, 10) >= 23 ? '2' : '1',
      'Cache-Control': 'no-cache, no-store, must-revalidate',
      Pragma: 'no-cache',
      Swarm: 'inactive',
    };
    if (m === 'HEAD')
      return goResponse(200, { ...h, 'Content-Length': '0', 'Content-Type': 'text/plain; charset=utf-8' }, '');
    return goResponse(200, h, 'OK', { sniffedType: 'text/plain; charset=utf-8' });
  }
  if (m === 'GET' && path === '/version') return json(200, dockerVersionBody(d));
  if (m === 'GET' && path === '/info') return json(200, dockerInfoBody(d));
  if (m === 'GET' && (path === '/containers/json' || path === '/images/json' || path === '/networks'))
    return json(200, []);
  if (m === 'GET' && path === '/volumes') return json(200, { Volumes: [], Warnings: null });
  if (m === 'POST' && path === '/containers/create') {
    onCommand({
      action: 'container-create',
      name: req.query.get('name') ?? '',
      ...summariseCreate(body),
      body: body.slice(0, 64 * 1024),
    });
    return json(201, { Id: hexId(), Warnings: [] });
  }
  if (m === 'POST' && path === '/images/create') {
    const image = `${req.query.get('fromImage') ?? ''}:${req.query.get('tag') ?? 'latest'}`.slice(0, 512);
    onCommand({ action: 'image-pull', image });
    const digest = `sha256:${hexId()}`;
    const progress = [
      {
        status: `Pulling from ${image.includes('/') ? image.split(':')[0] : `library/${image.split(':')[0] ?? ''}`}`,
        id: image.split(':')[1] ?? 'latest',
      },
      { status: `Digest: ${digest}` },
      { status: `Status: Downloaded newer image for ${image}` },
    ];
    return json(200, progress.map((p) => JSON.stringify(p)).join('\r\n') + '\r\n');
  }
  const c = /^\/containers\/([^/]+)\/([a-z]+)$/.exec(path);
  if (c && m === 'POST') {
    const [, id = '', op = ''] = c;
    if (op === 'exec') {
      onCommand({
        action: 'exec-create',
        container: id.slice(0, 128),
        ...summariseCreate(body),
        body: body.slice(0, 64 * 1024),
      });
      return json(201, { Id: hexId() });
    }
    if (op === 'start' || op === 'stop' || op === 'kill' || op === 'restart') {
      onCommand({ action: `container-${op}`, container: id.slice(0, 128) });
      return goResponse(204, common, '');
    }
    if (op === 'wait') return json(200, { Error: null, StatusCode: 0 });
    if (op === 'attach') return attachEnd(req, common);
  }
  const e = /^\/exec\/([^/]+)\/(start|json|resize)$/.exec(path);
  if (e) {
    const [, id = '', op = ''] = e;
    if (op === 'start' && m === 'POST') {
      onCommand({ action: 'exec-start', exec: id.slice(0, 128), body: body.slice(0, 4096) });
      return attachEnd(req, common);
    }
    if (op === 'json' && m === 'GET')
      return json(200, {
        ID: id,
        Running: false,
        ExitCode: 0,
        ProcessConfig: { privileged: false, user: '', tty: false, entrypoint: 'sh', arguments: [] },
        OpenStdin: false,
        OpenStderr: true,
        OpenStdout: true,
        CanRemove: false,
        ContainerID: hexId(),
        DetachKeys: '',
        Pid: 0,
      });
    if (op === 'resize') return json(200, '');
  }
  if (m === 'DELETE' && /^\/containers\/[^/]+$/.test(path)) return goResponse(204, common, '');
  if (/^\/containers\/[^/]+\/json$/.test(path)) return notFound(`No such container: ${path.split('/')[2] ?? ''}`);
  return notFound('page not found');
}

/** A hijacked stream that ends at once: the output of a command that printed nothing. */
function attachEnd(req: MiniRequest, common: Record<string, string>): MiniResponse {
  if ((req.headers.upgrade ?? '').toLowerCase() === 'tcp') {
    return {
      status: 101,
      reason: 'UPGRADED',
      headers: [
        ['Content-Type', 'application/vnd.docker.raw-stream'],
        ['Connection', 'Upgrade'],
        ['Upgrade', 'tcp'],
      ],
      body: '',
      close: true,
    };
  }
  return goResponse(200, { ...common, 'Content-Type': 'application/vnd.docker.raw-stream' }, '', { close: true });
}

async function start(ctx: ServiceContext): Promise<RunningService> {
  const d = distros[ctx.decky.distro];
  const identity = dockerIdentity(personaString(ctx.persona, 'version', '') || d.dockerVersion, {
    kernel: d.kernel,
    hostname: deckyHostname(ctx.decky),
    os: osNames[ctx.decky.distro] ?? 'Linux',
    seed: ctx.decky.name,
  });
  const listener = await listenTcp({
    host: ctx.host,
    port: ctx.port(2375),
    capture: ctx.capture,
    log: ctx.log,
    onConnection: (socket, meta) =>
      serveMiniHttp(socket, {
        ctx,
        meta,
        tls: false,
        badRequest: goBadRequest,
        handle: (req) => {
          ctx.capture({ src: meta.src, kind: 'request', data: { session: meta.session, ...requestCapture(req) } });
          return goProto(
            req,
            dockerRoute(req, identity, (cmd) =>
              ctx.capture({ src: meta.src, kind: 'command', data: { session: meta.session, ...cmd } }),
            ),
          );
        },
      }),
  });
  return { bound: [listener.bound], close: listener.close };
}

export const dockerApiService: ServiceModule = { name: 'docker_api', start };
