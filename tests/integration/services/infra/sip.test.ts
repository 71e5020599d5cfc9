import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sipService } from '../../../../agent/services/infra/sip';
import { eventually } from '../../../helpers/eventually';
import { run, tcpConnect, udpExchange } from '../raw-clients';
import { startService, type ServiceHarness } from '../service-harness';

const ip = '127.33.8.1';

function request(method: string, extra: string[] = [], transport = 'UDP'): string {
  return [
    `${method} sip:100@${ip} SIP/2.0`,
    `Via: SIP/2.0/${transport} 127.0.0.1:5099;branch=z9hG4bK-1;rport`,
    'From: <sip:100@127.0.0.1>;tag=abc',
    `To: <sip:100@${ip}>`,
    'Call-ID: test-call-1',
    `CSeq: 1 ${method}`,
    'User-Agent: friendly-scanner',
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

describe('sip service', () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await startService(sipService, { ip, archetype: 'voip-server', distro: 'ubuntu22' });
  });
  afterAll(async () => h.stop());

  it('answers sipsak OPTIONS with 200 OK and the Asterisk Server header', async () => {
    const r = await run('sipsak', ['-vv', '-s', `sip:100@${ip}`]);
    expect(r.stdout).toContain('SIP/2.0 200 OK');
    expect(r.stdout).toContain('Server: Asterisk PBX 18.10.0~dfsg+~cs6.10.40431411-2');
  });

  it('challenges sipsak REGISTER and captures its Digest attempt', async () => {
    const r = await run('sipsak', ['-U', '-s', `sip:100@${ip}`, '-a', 'hunter2']);
    expect(r.stdout + r.stderr).toMatch(/authorization failed|401/);
    const auth = await eventually(() =>
      h.ofKind('auth').find((c) => c.data.method === 'sip-digest' && c.data.sipMethod === 'REGISTER'),
    );
    expect(auth.data.realm).toBe('asterisk');
    expect(String(auth.data.response)).toMatch(/^[0-9a-f]{32}$/);
    expect(auth.data.userAgent).toMatch(/sipsak/);
  });

  it('answers INVITE with 407 and a Proxy-Authenticate nonce over UDP', async () => {
    const reply = (await udpExchange(ip, 5060, Buffer.from(request('INVITE'))))?.toString('utf8') ?? '';
    expect(reply).toMatch(/^SIP\/2\.0 407 Proxy Authentication Required\r\n/);
    expect(reply).toMatch(/Proxy-Authenticate: Digest algorithm=MD5, realm="asterisk", nonce="[0-9a-f]{8}"/);
    expect(reply).toMatch(/Via: SIP\/2\.0\/UDP 127\.0\.0\.1:5099;branch=z9hG4bK-1;received=127\.0\.0\.1;rport=\d+/);
  });

  it('speaks SIP over TCP and records the digest fields', async () => {
    const c = await tcpConnect(ip, 5060);
    c.send(
      request(
        'REGISTER',
        [
          'Authorization: Digest username="200", realm="asterisk", nonce="deadbeef", uri="sip:127.33.8.1", response="0123456789abcdef0123456789abcdef", algorithm=MD5',
        ],
        'TCP',
      ),
    );
    const got = await c.read((b) => b.includes('\r\n\r\n'));
    expect(got.toString()).toMatch(/^SIP\/2\.0 401 Unauthorized/);
    const auth = await eventually(() => h.ofKind('auth').find((a) => a.data.username === '200'));
    expect(auth.data).toMatchObject({
      nonce: 'deadbeef',
      uri: 'sip:127.33.8.1',
      response: '0123456789abcdef0123456789abcdef',
      success: false,
    });
    c.end();
  });

  it('is named Asterisk by nmap -sV over UDP', async () => {
    const r = await run('nmap', ['-sU', '-sV', '-Pn', '-p5060', ip], 120_000);
    expect(r.stdout).toMatch(/5060\/udp\s+open\s+sip(-proxy)?\s+Asterisk/);
  });
});
