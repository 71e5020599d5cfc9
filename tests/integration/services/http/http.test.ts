import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpService } from '../../../../agent/services/http/http';
import { eventually } from '../../../helpers/eventually';
import { connectRaw, run, startService, type ServiceHarness } from '../service-harness';

const apacheIp = '127.0.11.1';
const nginxIp = '127.0.11.2';

/** `curl -si` output split into status, lower-cased headers and body. */
function parse(out: string) {
  const at = out.indexOf('\r\n\r\n');
  const head = out.slice(0, at).split('\r\n');
  const headers = new Map(
    head.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return { status: Number(head[0]?.split(' ')[1]), headers, body: out.slice(at + 4) };
}

describe('http honeypot with curl', () => {
  let apache: ServiceHarness;
  let nginx: ServiceHarness;
  beforeAll(async () => {
    apache = await startService(httpService, {
      ip: apacheIp,
      distro: 'debian',
      serviceConfig: { http: { title: 'Acme Intranet Login', poweredBy: 'PHP/8.2.20' } },
    });
    nginx = await startService(httpService, { ip: nginxIp, distro: 'alpine' });
  });
  afterAll(async () => {
    await apache.stop();
    await nginx.stop();
  });

  it('serves the login page with the persona Server header and title', async () => {
    const r = parse((await run('curl', ['-si', '-A', 'Mozilla/5.0 (recon)', `http://${apacheIp}/`])).stdout);
    expect(r.status).toBe(200);
    expect(r.headers.get('server')).toBe('Apache/2.4.62 (Debian)');
    expect(r.headers.get('x-powered-by')).toBe('PHP/8.2.20');
    expect(r.body).toContain('<title>Acme Intranet Login</title>');
    expect(r.body).toContain('<form method="post" action="/login"');
    const req = await eventually(() =>
      apache.ofKind('request').find((e) => e.data.userAgent === 'Mozilla/5.0 (recon)'),
    );
    expect(req.data).toMatchObject({ method: 'GET', path: '/', httpVersion: '1.1' });
    expect((req.data.headers as Record<string, string>).host).toBe(apacheIp);
  });

  it('captures posted credentials and answers with a failed login', async () => {
    const r = parse(
      (await run('curl', ['-si', '-d', 'username=admin&password=Winter2024!', `http://${apacheIp}/login`])).stdout,
    );
    expect(r.status).toBe(200);
    expect(r.body).toContain('Invalid username or password.');
    const req = await eventually(() => apache.ofKind('request').find((e) => e.data.method === 'POST'));
    expect(req.data.credentials).toEqual({ username: 'admin', password: 'Winter2024!' });
    expect(req.data.body).toBe('username=admin&password=Winter2024!');
  });

  it('records Basic credentials', async () => {
    await run('curl', ['-s', '-o', '/dev/null', '-u', 'backup:s3cr3t', `http://${apacheIp}/admin/`]);
    const req = await eventually(() => apache.ofKind('request').find((e) => e.data.path === '/admin/'));
    expect(req.data.credentials).toEqual({ basicUser: 'backup', basicPassword: 's3cr3t' });
  });

  it('answers unknown paths with Apache’s own 404 page', async () => {
    const r = parse((await run('curl', ['-si', `http://${apacheIp}/wp-login.php`])).stdout);
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toBe('text/html; charset=iso-8859-1');
    expect(r.body).toContain('<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">');
    expect(r.body).toContain('<p>The requested URL was not found on this server.</p>');
    expect(r.body).toContain(`<address>Apache/2.4.62 (Debian) Server at ${apacheIp} Port 80</address>`);
  });

  it('answers unknown paths with nginx’s own 404 page for an nginx persona', async () => {
    const r = parse((await run('curl', ['-si', `http://${nginxIp}/.env`])).stdout);
    expect(r.status).toBe(404);
    expect(r.headers.get('server')).toBe('nginx/1.24.0');
    expect(r.body).toBe(
      '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n',
    );
    await eventually(() => nginx.ofKind('request').some((e) => e.data.path === '/.env'));
  });

  it('bounds request bodies at 64 KiB', async () => {
    const big = 'x'.repeat(100 * 1024);
    const r = await run(
      'curl',
      [
        '-s',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        '-H',
        'Content-Type: text/plain',
        '--data-binary',
        '@-',
        `http://${apacheIp}/login`,
      ],
      { input: big },
    );
    expect(r.stdout).toBe('413');
    const req = await eventually(() => apache.ofKind('request').find((e) => e.data.truncated === true));
    expect((req.data.body as string | undefined)?.length ?? 0).toBeLessThanOrEqual(64 * 1024);
  });

  it('records a malformed request, answers 400 and keeps serving', async () => {
    const c = await connectRaw(apacheIp, 80);
    c.send('NOT HTTP AT ALL\r\n\r\n');
    await eventually(() => c.closed(), { what: 'connection closed' });
    expect(c.text()).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    await eventually(() => apache.ofKind('malformed').length > 0);
    const r = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${apacheIp}/`]);
    expect(r.stdout).toBe('200');
  });

  it('refuses connections beyond the per-source cap', async () => {
    const conns = await Promise.all(Array.from({ length: 40 }, () => connectRaw(nginxIp, 80)));
    await eventually(() => conns.filter((c) => c.closed()).length >= 8, { what: 'connections over the cap closed' });
    expect(conns.filter((c) => !c.closed()).length).toBe(32);
    const refused = await eventually(() => nginx.ofKind('refused')[0]);
    expect(refused.data).toMatchObject({ reason: 'per-source limit', limit: 32 });
    for (const c of conns) c.socket.destroy();
  });
});
