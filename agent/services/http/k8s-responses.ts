import { createHash } from 'node:crypto';

/** kube-apiserver bodies: /version as the release binary prints it, Status objects for refusals. */
type K8sBuild = Readonly<{ commit: string; date: string; go: string }>;

const builds: Readonly<Record<string, K8sBuild>> = {
  'v1.28.4': { commit: 'bae2c62678db2b5053817bc97181fcc2e8388103', date: '2023-11-15T16:48:54Z', go: 'go1.20.11' },
};

export const defaultK8sVersion = 'v1.28.4';

const goByMinor: Readonly<Record<number, string>> = {
  24: 'go1.18.10',
  25: 'go1.19.13',
  26: 'go1.20.10',
  27: 'go1.20.12',
  28: 'go1.20.11',
  29: 'go1.21.5',
  30: 'go1.22.2',
  31: 'go1.22.5',
  32: 'go1.23.3',
};

export function k8sVersionJson(gitVersion: string): string {
  const v = gitVersion.startsWith('v') ? gitVersion : `v${gitVersion}`;
  const [major = '1', minor = '28'] = v.slice(1).split('.');
  const known = builds[v];
  const build = known ?? {
    commit: createHash('sha1').update(`k8s-${v}`).digest('hex'),
    date: '2024-01-17T13:38:41Z',
    go: goByMinor[Number(minor)] ?? 'go1.21.6',
  };
  const body = {
    major,
    minor: minor.replace(/\D.*$/, ''),
    gitVersion: v,
    gitCommit: build.commit,
    gitTreeState: 'clean',
    buildDate: build.date,
    goVersion: build.go,
    compiler: 'gc',
    platform: 'linux/amd64',
  };
  // The apiserver indents /version with two spaces (json.MarshalIndent).
  return JSON.stringify(body, null, 2);
}

export function k8sStatus(code: number, reason: string, message: string, details?: Record<string, string>): string {
  return (
    JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    }) + '\n'
  );
}

export const k8sUnauthorized = k8sStatus(401, 'Unauthorized', 'Unauthorized');

const verbs: Readonly<Record<string, string>> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/**
 * The RBAC refusal for system:anonymous, worded as the apiserver does for resource requests
 * (`pods is forbidden: ...`) and non-resource paths (`forbidden: ... cannot get path "/"`).
 */
export function k8sForbidden(method: string, path: string, watch: boolean): string {
  const segs = path.split('/').filter(Boolean);
  let group: string | null = null;
  let rest: string[] = [];
  if (segs[0] === 'api' && segs[1]) {
    group = '';
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs[1] && segs[2]) {
    group = segs[1];
    rest = segs.slice(3);
  }
  if (group === null || rest.length === 0) {
    const verb = method === 'GET' || method === 'HEAD' ? 'get' : (verbs[method] ?? method.toLowerCase());
    return k8sStatus(403, 'Forbidden', `forbidden: User "system:anonymous" cannot ${verb} path "${path}"`, {});
  }
  let namespace: string | null = null;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1] ?? null;
    rest = rest.slice(2);
  }
  const resource = rest[0] ?? '';
  const name = rest[1];
  const sub = rest[2];
  const verb =
    method === 'GET' || method === 'HEAD'
      ? watch
        ? 'watch'
        : name
          ? 'get'
          : 'list'
      : (verbs[method] ?? method.toLowerCase());
  const what = `resource "${resource}${sub ? `/${sub}` : ''}" in API group "${group}"`;
  const scope = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
  const subject = `${resource}${name ? ` "${name}"` : ''}`;
  const details: Record<string, string> = { ...(name ? { name } : {}), ...(group ? { group } : {}), kind: resource };
  return k8sStatus(
    403,
    'Forbidden',
    `${subject} is forbidden: User "system:anonymous" cannot ${verb} ${what} ${scope}`,
    details,
  );
}
