import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dnsService } from '../../../../agent/services/infra/dns';
import { eventually } from '../../../helpers/eventually';
import { run } from '../raw-clients';
import { startService, type ServiceHarness } from '../service-harness';

const ip = '127.33.7.1';
const dig = (...args: string[]) => run('dig', [`@${ip}`, '+tries=1', '+time=2', ...args]);

describe('dns service', () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await startService(dnsService, { ip, name: 'ns1', hostname: 'dc01.corp.local', distro: 'ubuntu22' });
  });
  afterAll(async () => h.stop());

  it('answers version.bind CHAOS TXT with the distro BIND version', async () => {
    const r = await dig('version.bind', 'chaos', 'txt', '+short');
    expect(r.stdout.trim()).toBe('"9.18.28-0ubuntu0.22.04.1-Ubuntu"');
  });

  it('answers authoritatively for its own zone over UDP and TCP', async () => {
    const a = await dig('dc01.corp.local', 'A');
    expect(a.stdout).toMatch(/flags: qr aa rd;/);
    expect(a.stdout).toMatch(/dc01\.corp\.local\.\s+3600\s+IN\s+A\s+127\.33\.7\.1/);
    const soa = await dig('+tcp', 'corp.local', 'SOA', '+short');
    expect(soa.stdout).toMatch(/^ns1\.corp\.local\. hostmaster\.corp\.local\. \d+ /);
    const nx = await dig('nope.corp.local');
    expect(nx.stdout).toContain('status: NXDOMAIN');
  });

  it('refuses recursion for other zones and records every query', async () => {
    const r = await dig('example.com', 'A');
    expect(r.stdout).toContain('status: REFUSED');
    expect(r.stdout).not.toMatch(/flags:[^;]* ra/);
    const q = await eventually(() =>
      h.ofKind('request').find((c) => (c.data.queries as { name: string }[]).some((x) => x.name === 'example.com')),
    );
    expect(q.data).toMatchObject({ proto: 'udp', rd: true });
  });

  it('is named ISC BIND by nmap -sV', async () => {
    const r = await run('nmap', ['-sV', '-sU', '-Pn', '-p53', ip], 90_000);
    expect(r.stdout).toMatch(/53\/udp\s+open\s+domain\s+ISC BIND 9\.18\.28/);
  });
});
