import { describe, expect, it } from 'vitest';
import type { AttackerEvent } from '../../../../shared/domain/events';
import { csvField, toCsvRow, toEcs } from '../../../../main/core/attacker-events/event-export';

const e: AttackerEvent = {
  id: 'e1',
  ts: '2026-12-01T10:00:00.000Z',
  decky: 'web-01',
  service: 'ssh',
  src: '198.51.100.7',
  kind: 'auth',
  data: { session: 's1', username: '=HYPERLINK("http://x")', password: 'a,"b"', success: true, srcPort: 50123 },
};
const ip = (d: string) => (d === 'web-01' ? '10.0.0.5' : undefined);

describe('event export', () => {
  it('CSV: RFC 4180 quoting, and attacker text that a spreadsheet would run as a formula is defused', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,"b"')).toBe('"a,""b"""');
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    const row = toCsvRow(e, ip);
    expect(row.endsWith('\r\n')).toBe(true);
    expect(row).toContain(`,"'=HYPERLINK(""http://x"")",`);
    expect(row).toContain(',10.0.0.5,');
    // The data column is the raw JSON, quoted but never prefixed.
    expect(row).toContain(`"${JSON.stringify(e.data).replaceAll('"', '""')}"`);
  });

  it('ECS: @timestamp, event.*, source, destination (the decky), user.name, raw data kept', () => {
    expect(toEcs(e, ip)).toMatchObject({
      '@timestamp': e.ts,
      event: { id: 'e1', kind: 'event', category: ['authentication'], action: 'auth', outcome: 'success' },
      source: { ip: '198.51.100.7', port: 50123 },
      destination: { ip: '10.0.0.5' },
      user: { name: '=HYPERLINK("http://x")' },
      service: { name: 'ssh' },
      decnet: { decky: 'web-01', session: 's1', data: e.data },
    });
    const cmd = toEcs({ ...e, kind: 'command', src: '', data: { command: 'id' } }, ip);
    expect(cmd).toMatchObject({ process: { command_line: 'id' }, event: { category: ['process'] } });
    expect(cmd).not.toHaveProperty('source'); // no address recorded: no invalid source.ip
  });
});
