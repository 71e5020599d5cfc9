import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { k8sService } from '../../../../agent/services/http/k8s';
import { eventually } from '../../../helpers/eventually';
import { run } from '../mail-infra-helpers';
import { startService, type ServiceHarness } from '../service-harness';

const ip = '127.31.0.7';

describe('kubernetes API honeypot', () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await startService(k8sService, { ip, hostname: 'k8s-cp-01', distro: 'ubuntu22', services: ['k8s'] });
  });
  afterAll(() => h.stop());

  it('/version on 6443 (TLS) and 8080 reports the persona version like kube-apiserver', async () => {
    const r = await run('curl', ['-skv', `https://${ip}:6443/version`]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('subject: CN=kube-apiserver');
    expect(r.stderr).toMatch(/< Audit-Id: [0-9a-f-]{36}/);
    expect(JSON.parse(r.stdout)).toMatchObject({
      major: '1',
      minor: '28',
      gitVersion: 'v1.28.4',
      platform: 'linux/amd64',
    });
    const plain = await run('curl', ['-s', `http://${ip}:8080/version`]);
    expect(JSON.parse(plain.stdout)).toMatchObject({ gitVersion: 'v1.28.4' });
  });

  it('anonymous resource requests get the RBAC 403 Status; a bearer token gets 401 and is captured', async () => {
    const anon = await run('curl', ['-sk', `https://${ip}:6443/api/v1/namespaces/kube-system/secrets`]);
    expect(JSON.parse(anon.stdout)).toMatchObject({
      kind: 'Status',
      code: 403,
      reason: 'Forbidden',
      message:
        'secrets is forbidden: User "system:anonymous" cannot list resource "secrets" in API group "" in the namespace "kube-system"',
    });
    const token = 'eyJhbGciOiJSUzI1NiJ9.stolen.token';
    const authd = await run('curl', ['-sk', '-H', `Authorization: Bearer ${token}`, `https://${ip}:6443/api/v1/pods`]);
    expect(JSON.parse(authd.stdout)).toMatchObject({ code: 401, message: 'Unauthorized' });
    const auth = await eventually(() => h.ofKind('auth')[0]);
    expect(auth.data).toMatchObject({ method: 'bearer', token, path: '/api/v1/pods' });
  });

  it('records exec attempts as commands', async () => {
    await run('curl', [
      '-sk',
      '-XPOST',
      `https://${ip}:6443/api/v1/namespaces/default/pods/web-0/exec?command=sh&command=-c&command=id&container=app`,
    ]);
    const cmd = await eventually(() => h.ofKind('command')[0]);
    expect(cmd.data).toMatchObject({
      action: 'exec',
      namespace: 'default',
      pod: 'web-0',
      container: 'app',
      command: ['sh', '-c', 'id'],
    });
  });
});
