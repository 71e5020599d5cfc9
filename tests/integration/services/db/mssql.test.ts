import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mssqlService } from '../../../../agent/services/db/mssql';
import { deobfuscatePassword } from '../../../../agent/services/db/tds-codec';
import { eventually } from '../../../helpers/eventually';
import { connectRaw, run, startService, type ServiceHarness } from '../service-harness';

const ip = '127.32.3.1';

/** nmap's ms-sql-s probe (PRELOGIN with VERSION, ENCRYPTION, INSTOPT, THREADID). */
const nmapPrelogin = Buffer.from(
  '1201003400000000000015000601001b000102001c000c0300280004ff080001550000004d5353514c53657276657200480f0000',
  'hex',
);

describe('mssql honeypot', () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await startService(mssqlService, { ip, distro: 'debian', hostname: 'sql01.corp.local' });
  });
  afterAll(() => h.stop());

  it('tsql: captures the de-obfuscated password and shows error 18456', async () => {
    const r = await run('tsql', ['-H', ip, '-p', '1433', '-U', 'sa', '-P', 'P@ssw0rd!'], { timeoutMs: 15_000 });
    expect(r.stdout + r.stderr).toContain('Msg 18456 (severity 14, state 1) from SQL01');
    expect(r.stdout + r.stderr).toContain("Login failed for user 'sa'.");
    const auth = await eventually(() => h.ofKind('auth').find((a) => a.data.username === 'sa'));
    expect(auth.data).toMatchObject({ method: 'sql', password: 'P@ssw0rd!', appname: 'TSQL', library: 'TDS-Library' });
  });

  it("answers nmap's PRELOGIN with the 37-byte SQL Server 2019 layout and no encryption", async () => {
    const c = await connectRaw(ip, 1433);
    c.send(nmapPrelogin);
    const got = await eventually(() => (c.received().length >= 37 ? c.received() : undefined));
    expect(got.subarray(0, 37).toString('hex')).toBe(
      '0401002500000100' + '000015000601001b000102001c000103001d0000ff' + '0f0007d00000' + '02' + '00',
    );
    c.socket.destroy();
  });

  it('de-obfuscates per MS-TDS (nibble swap then XOR 0xA5, reversed)', () => {
    // "a" = 0x61 0x00 in UCS-2: swap → 0x16 0x00, XOR → 0xb3 0xa5.
    expect(deobfuscatePassword(Buffer.from([0xb3, 0xa5])).toString('utf16le')).toBe('a');
  });

  it('records an impossible TDS header as malformed', async () => {
    const c = await connectRaw(ip, 1433);
    c.send(Buffer.from('1201000400000000', 'hex'));
    await eventually(() => c.closed());
    await eventually(() => h.ofKind('malformed').length > 0);
  });
});
