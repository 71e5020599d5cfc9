import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsService } from '../../../../agent/services/http/https';
import { eventually } from '../../../helpers/eventually';
import { run } from '../mail-infra-helpers';
import { startService, type ServiceHarness } from '../service-harness';

const ip = '127.31.0.5';

describe('https honeypot', () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await startService(httpsService, {
      ip,
      hostname: 'portal.acme-corp.com',
      distro: 'ubuntu22',
      services: ['https'],
      serviceConfig: { https: { certCn: 'vpn.acme-corp.com' } },
    });
  });
  afterAll(() => h.stop());

  it('presents the persona certificate and the distro Server header (curl -k)', async () => {
    const r = await run('curl', ['-skv', `https://${ip}/`]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('subject: CN=vpn.acme-corp.com');
    expect(r.stderr).toContain('< Server: Apache/2.4.52 (Ubuntu)');
    expect(r.stdout).toContain('portal.acme-corp.com - Sign in');
  });

  it('captures the login POST with its session', async () => {
    const r = await run('curl', ['-sk', `https://${ip}/login`, '-d', 'username=admin&password=S3cret!']);
    expect(r.stdout).toContain('Invalid username or password.');
    const req = await eventually(() => h.ofKind('request').find((c) => c.data.method === 'POST'));
    expect(req.data.credentials).toEqual({ username: 'admin', password: 'S3cret!' });
    expect(String(req.data.session)).toMatch(/^[0-9a-f]{12}$/);
  });

  it('keeps one certificate across restarts (stored in the data dir)', async () => {
    const pem = await readFile(join(h.dataDir, 'tls', 'vpn.acme-corp.com.crt'), 'utf8');
    const cert = new X509Certificate(pem);
    expect(cert.subject).toBe('CN=vpn.acme-corp.com');
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    // Backdated: a certificate minted the minute the decky started would be a tell.
    expect(Date.parse(cert.validFrom)).toBeLessThan(Date.now() - 10 * 86_400_000);
    const again = await startService(
      httpsService,
      {
        ip: '127.31.0.15',
        hostname: 'portal.acme-corp.com',
        distro: 'ubuntu22',
        services: ['https'],
        serviceConfig: { https: { certCn: 'vpn.acme-corp.com' } },
      },
      { dataDir: h.dataDir },
    );
    const served = await new Promise<string>((resolve, reject) => {
      const s = tls.connect({ host: '127.31.0.15', port: 443, rejectUnauthorized: false }, () => {
        resolve(s.getPeerX509Certificate()?.fingerprint256 ?? '');
        s.destroy();
      });
      s.once('error', reject);
    });
    await again.running.close();
    expect(served).toBe(cert.fingerprint256);
  });
});
