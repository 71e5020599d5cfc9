import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mysqlService } from '../../../agent/services/db/mysql';
import { postgresService } from '../../../agent/services/db/postgres';
import { smbService } from '../../../agent/services/smb/smb';
import { hex, pgStartup } from './db-messages';
import { tcpConnect } from './raw-clients';
import { startService, type ServiceHarness } from './service-harness';

/**
 * Values a real server draws per connection must never repeat per decky: a fixed NTLM challenge
 * is a tell (and lets precomputed tables crack captured hashes), and so is a fixed scramble/salt.
 */
const sessions = 100;
const ip = '127.21.2.1';

function smb2(command: number, messageId: number, sessionId: bigint, body: Buffer): Buffer {
  const h = Buffer.alloc(64);
  h.write('\xfeSMB', 0, 'latin1');
  h.writeUInt16LE(64, 4);
  h.writeUInt16LE(command, 12);
  h.writeUInt16LE(1, 14);
  h.writeBigUInt64LE(BigInt(messageId), 24);
  h.writeBigUInt64LE(sessionId, 40);
  const msg = Buffer.concat([h, body]);
  const nb = Buffer.alloc(4);
  nb.writeUInt32BE(msg.length, 0);
  return Buffer.concat([nb, msg]);
}

const negotiate = () => {
  const b = Buffer.alloc(36 + 2);
  b.writeUInt16LE(36, 0);
  b.writeUInt16LE(1, 2); // one dialect: SMB 2.1, no negotiate contexts
  b.writeUInt16LE(1, 4);
  b.writeUInt16LE(0x0210, 36);
  return b;
};

const sessionSetup = () => {
  const ntlm = Buffer.concat([Buffer.from('NTLMSSP\0', 'latin1'), hex('01000000 978208e2'), Buffer.alloc(16)]);
  const b = Buffer.alloc(24);
  b.writeUInt16LE(25, 0);
  b.writeUInt16LE(88, 12);
  b.writeUInt16LE(ntlm.length, 14);
  return Buffer.concat([b, ntlm]);
};

/** Complete SMB2 frames received so far (NetBIOS length-prefixed). */
const frames = (all: Buffer) => {
  const out: Buffer[] = [];
  for (let at = 0; at + 4 <= all.length;) {
    const len = all.readUInt32BE(at) & 0xffffff;
    if (at + 4 + len > all.length) break;
    out.push(all.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return out;
};

describe('per-session randomness', () => {
  const hs: ServiceHarness[] = [];
  beforeAll(async () => {
    hs.push(
      await startService(smbService, { ip, archetype: 'windows-workstation', nmapOs: 'windows', name: 'ws-fin-0231' }),
    );
    hs.push(await startService(mysqlService, { ip }));
    hs.push(await startService(postgresService, { ip, serviceConfig: { postgres: { auth: 'md5' } } }));
  });
  afterAll(async () => {
    for (const h of hs) await h.stop();
  });

  it(`gives ${sessions} SMB sessions ${sessions} different NTLM challenges and session ids`, async () => {
    const challenges = new Set<string>();
    const ids = new Set<bigint>();
    for (let i = 0; i < sessions; i++) {
      const c = await tcpConnect(ip, 445);
      c.send(smb2(0, 0, 0n, negotiate()));
      await c.read((b) => frames(b).length >= 1);
      c.send(smb2(1, 1, 0n, sessionSetup()));
      const all = await c.read((b) => frames(b).length >= 2);
      c.end();
      const reply = frames(all)[1]!;
      ids.add(reply.readBigUInt64LE(40));
      const at = reply.indexOf('NTLMSSP\0', 64, 'latin1');
      expect(at).toBeGreaterThan(0);
      expect(reply.readUInt32LE(at + 8)).toBe(2);
      challenges.add(reply.subarray(at + 24, at + 32).toString('hex'));
    }
    expect(challenges.size).toBe(sessions);
    expect(ids.size).toBe(sessions);
  });

  it(`gives ${sessions} MySQL connections ${sessions} different scrambles`, async () => {
    const scrambles = new Set<string>();
    for (let i = 0; i < sessions; i++) {
      const c = await tcpConnect(ip, 3306);
      const all = await c.read((b) => b.length >= 4 && b.length >= 4 + b.readUIntLE(0, 3));
      c.end();
      const p = all.subarray(4);
      const vEnd = p.indexOf(0, 1);
      const part1 = p.subarray(vEnd + 5, vEnd + 13);
      const rest = p.subarray(vEnd + 13 + 1 + 2 + 1 + 2 + 2 + 1 + 10);
      scrambles.add(Buffer.concat([part1, rest.subarray(0, 12)]).toString('hex'));
    }
    expect(scrambles.size).toBe(sessions);
  });

  it(`gives ${sessions} PostgreSQL md5 logins ${sessions} different salts`, async () => {
    const salts = new Set<string>();
    for (let i = 0; i < sessions; i++) {
      const c = await tcpConnect(ip, 5432);
      c.send(pgStartup().subarray(0, pgStartup().readInt32BE(0)));
      const all = await c.read((b) => b.length >= 13);
      c.end();
      expect(all[0]).toBe(0x52); // 'R'
      expect(all.readInt32BE(5)).toBe(5); // AuthenticationMD5Password
      salts.add(all.subarray(9, 13).toString('hex'));
    }
    expect(salts.size).toBe(sessions);
  });
});
