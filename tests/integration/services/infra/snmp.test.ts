import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snmpService } from '../../../../agent/services/infra/snmp';
import { eventually } from '../../../helpers/eventually';
import { run } from '../raw-clients';
import { startService, type ServiceHarness } from '../service-harness';

const ip = '127.33.5.1';

describe('snmp service', () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await startService(snmpService, {
      ip,
      name: 'mon-01',
      hostname: 'mon-01',
      archetype: 'monitoring-node',
      distro: 'debian',
    });
  });
  afterAll(async () => h.stop());

  it('answers snmpget for sysDescr.0 with the distro kernel line', async () => {
    const r = await run('snmpget', ['-v2c', '-c', 'public', '-On', ip, '1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.1.5.0']);
    expect(r.stdout).toContain(
      '.1.3.6.1.2.1.1.1.0 = STRING: "Linux mon-01 6.1.0-26-amd64 #1 SMP PREEMPT_DYNAMIC Debian',
    );
    expect(r.stdout).toContain('.1.3.6.1.2.1.1.5.0 = STRING: "mon-01"');
    const req = await eventually(() => h.ofKind('request').find((c) => c.data.community === 'public'));
    expect(req.data).toMatchObject({ version: 'v2c', pdu: 'get' });
  });

  it('walks the system group with snmpwalk (v1 and v2c)', async () => {
    for (const v of ['-v1', '-v2c']) {
      const r = await run('snmpwalk', [v, '-c', 'public', '-On', ip, '1.3.6.1.2.1.1']);
      expect(r.stdout).toContain('.1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.8072.3.2.10');
      expect(r.stdout).toMatch(/\.1\.3\.6\.1\.2\.1\.1\.3\.0 = Timeticks: \(\d+\)/);
      expect(r.stdout).toContain('.1.3.6.1.2.1.1.6.0 = STRING: "Sitting on the Dock of the Bay"');
    }
  });

  it('stays silent for a wrong community but records the guess', async () => {
    const r = await run('snmpget', ['-v2c', '-c', 'private', '-t', '1', '-r', '0', ip, '1.3.6.1.2.1.1.1.0']);
    expect(r.stdout + r.stderr).toContain('Timeout');
    const guess = await eventually(() => h.ofKind('auth').find((c) => c.data.password === 'private'));
    expect(guess.data).toMatchObject({ method: 'community', success: false });
  });

  it('answers a v3 request with usm reports and records the user', async () => {
    const r = await run('snmpget', [
      '-v3',
      '-u',
      'admin',
      '-l',
      'noAuthNoPriv',
      '-t',
      '1',
      '-r',
      '0',
      ip,
      '1.3.6.1.2.1.1.1.0',
    ]);
    expect(r.stdout + r.stderr).toContain('Unknown user name');
    await eventually(() => h.ofKind('auth').find((c) => c.data.method === 'snmpv3-usm' && c.data.username === 'admin'));
  });

  it('refuses sets with the read-only community', async () => {
    const r = await run('snmpset', ['-v2c', '-c', 'public', ip, '1.3.6.1.2.1.1.5.0', 's', 'pwned']);
    expect(r.stdout + r.stderr).toMatch(/noAccess/);
    await eventually(() => h.ofKind('command').find((c) => c.data.pdu === 'set'));
  });
});
