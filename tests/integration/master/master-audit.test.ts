import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandAccess } from '../../../shared/ipc/command-access';
import { ipcCommands, type AuditEntry } from '../../../shared/ipc/contract';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { ADMIN_PASSWORD, freePort, startMaster, type TestMaster } from './harness';

// A real master's console API: every state-changing RPC lands in <data>/audit.jsonl with its actor
// and outcome before the answer; reads do not; secrets in the input are masked; it survives a restart.
let tmp: { dir: string; remove: () => Promise<void> };
let m: TestMaster;
let agentPort = 0;

beforeAll(async () => {
  tmp = await makeTmpDir('decnet-master-audit-');
  agentPort = await freePort();
  m = await startMaster({ dataDir: join(tmp.dir, 'master'), agentPort });
});
afterAll(async () => {
  await m?.stop();
  await tmp?.remove();
});

async function rpc(api: string, token: string, command: string, input: unknown) {
  const res = await request(`${api}/api/v1/rpc/${command}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(input),
  });
  return (await res.body.json()) as { ok: boolean; value?: { entries?: AuditEntry[] }; error?: { code: string } };
}

async function login(api: string): Promise<string> {
  const res = await request(`${api}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  return ((await res.body.json()) as { token: string }).token;
}

describe('audit trail', () => {
  it('classifies every contract command as read or change', () => {
    expect(Object.keys(commandAccess).sort()).toEqual(Object.keys(ipcCommands).sort());
  });

  it('records each change with its actor and outcome, masks secrets, skips reads, and survives a restart', async () => {
    const api = m.started.api!.url;
    const token = await login(api);
    expect((await rpc(api, token, 'hosts.list', {})).ok).toBe(true);
    expect((await rpc(api, token, 'hosts.enroll', { name: 'audited-w1' })).ok).toBe(true);
    const webhook = {
      id: 'webhook',
      url: 'http://127.0.0.1:9/hook',
      secret: 'a-very-secret-signing-key',
      format: 'json',
      enabled: false,
    };
    expect((await rpc(api, token, 'alerts.configure', { channels: [webhook] })).ok).toBe(true);
    const refused = await rpc(api, token, 'deckies.teardown', { deckyName: 'no-such-decky' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });

    const listed = await rpc(api, token, 'audit.list', {});
    const entries = listed.value!.entries!;
    expect(entries.map((e) => `${e.command}:${e.ok}`)).toEqual([
      'deckies.teardown:false',
      'alerts.configure:true',
      'hosts.enroll:true',
    ]);
    expect(entries.every((e) => /^admin@127\.0\.0\.1$/.test(e.actor))).toBe(true);
    expect(entries[0]!.error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/no-such-decky/) });
    expect(entries[1]!.input).toEqual({ channels: [{ ...webhook, secret: '***' }] });
    const file = await readFile(join(tmp.dir, 'master', 'audit.jsonl'), 'utf8');
    expect(file).not.toContain('a-very-secret-signing-key');
    expect(file.trim().split('\n')).toHaveLength(3);

    await m.stop();
    m = await startMaster({ dataDir: join(tmp.dir, 'master'), agentPort });
    const again = await rpc(m.started.api!.url, await login(m.started.api!.url), 'audit.list', { limit: 2 });
    expect(again.value!.entries!.map((e) => e.command)).toEqual(['deckies.teardown', 'alerts.configure']);
  });
});

describe('analyst accounts and roles', () => {
  async function loginAs(api: string, username: string, password: string) {
    const res = await request(`${api}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    return { status: res.statusCode, body: (await res.body.json()) as { token?: string; role?: string } };
  }

  it('a viewer reads everything and is refused every change with a clear error; its sessions end when it is removed', async () => {
    const api = m.started.api!.url;
    const admin = await login(api);
    const created = await rpc(api, admin, 'accounts.create', {
      username: 'soc-viewer',
      password: 'viewer-password-1',
      role: 'viewer',
    });
    expect(created).toMatchObject({ ok: true });
    expect(await loginAs(api, 'soc-viewer', 'wrong-password-xx')).toMatchObject({ status: 401 });
    const v = await loginAs(api, 'soc-viewer', 'viewer-password-1');
    expect(v).toMatchObject({ status: 200, body: { role: 'viewer' } });
    const viewer = v.body.token!;

    const reads = Object.entries(commandAccess)
      .filter(([, a]) => a === 'read')
      .map(([c]) => c);
    const changes = Object.entries(commandAccess)
      .filter(([, a]) => a === 'change')
      .map(([c]) => c);
    for (const c of changes) {
      const r = await rpc(api, viewer, c, {});
      expect({ c, r }).toMatchObject({ c, r: { ok: false, error: { code: 'FORBIDDEN' } } });
    }
    const refusal = await request(`${api}/api/v1/rpc/deckies.deploy`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${viewer}` },
      body: '{}',
    });
    expect(refusal.statusCode).toBe(403);
    expect(((await refusal.body.json()) as { error: { message: string } }).error.message).toBe(
      'soc-viewer has the viewer role: deckies.deploy changes state and needs admin',
    );
    // Every read is let through to the command (it may still refuse its input, never for the role).
    for (const c of reads) {
      const r = await rpc(api, viewer, c, {});
      expect({ c, code: r.ok ? 'ok' : r.error!.code }).not.toMatchObject({ code: 'FORBIDDEN' });
    }
    // The trail names the admin for the account change, and none of the viewer's refused attempts ran.
    const trail = (await rpc(api, admin, 'audit.list', { limit: 5 })).value!.entries!;
    expect(trail[0]).toMatchObject({ command: 'accounts.create', actor: 'admin@127.0.0.1', ok: true });
    expect(JSON.stringify(trail[0]!.input)).not.toContain('viewer-password-1');

    expect(await rpc(api, admin, 'accounts.remove', { username: 'soc-viewer' })).toMatchObject({ ok: true });
    expect(await rpc(api, viewer, 'hosts.list', {})).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    expect(await loginAs(api, 'soc-viewer', 'viewer-password-1')).toMatchObject({ status: 401 });
  });
});
