import { spawn } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttackerEvent } from '../../../shared/domain/events';
import { eventually } from '../../helpers/eventually';
import { sshPasswordFlags } from '../../helpers/ssh-client';
import { makeTmpDir } from '../../helpers/tmp-dir';
import {
  ADMIN_PASSWORD,
  freePort,
  loopbackBlock,
  settled,
  startAgent,
  startMaster,
  type TestAgent,
  type TestMaster,
} from './harness';

// The analyst's questions against the whole stored history, answered from events made by real
// clients (OpenSSH, raw HTTP) hitting real deckies on a real agent: who, what, since when.
const ip = loopbackBlock();
const [WEB, FILES] = [ip(11), ip(12)];
const [ATTACKER, OTHER] = [ip(50), ip(60)];
let tmp: Awaited<ReturnType<typeof makeTmpDir>>;
let m: TestMaster;
let agent: TestAgent;
let mid: string;

function ssh(from: string, to: string, password: string, stdin: string): Promise<number | null> {
  const askpass = join(tmp.dir, `askpass-${password}`);
  const child = spawn('ssh', [...sshPasswordFlags, '-T', '-o', `BindAddress=${from}`, `root@${to}`], {
    env: { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' },
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.stdin.end(stdin);
  return new Promise((resolve) => child.on('exit', resolve));
}
function httpHit(from: string, to: string, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: to, port: 80, localAddress: from }, () => s.end(`GET ${path} HTTP/1.0\r\n\r\n`));
    s.on('data', () => undefined);
    s.on('close', () => resolve());
    s.on('error', reject);
  });
}
const all = async (q: Parameters<TestMaster['call']>[1] & object): Promise<AttackerEvent[]> => {
  const out: AttackerEvent[] = [];
  let cursor: string | null = null;
  do {
    const p: { events: AttackerEvent[]; nextCursor: string | null } = await m.call('events.list', {
      ...q,
      limit: 3,
      ...(cursor ? { cursor } : {}),
    });
    out.push(...p.events);
    cursor = p.nextCursor;
  } while (cursor);
  return out;
};

beforeAll(async () => {
  tmp = await makeTmpDir('decnet-search-it-');
  const agentPort = await freePort();
  m = await startMaster({ dataDir: join(tmp.dir, 'master'), agentPort });
  agent = await startAgent(m, { root: tmp.dir, name: 'worker-search', ip: ip(1), agentPort });
  const res = await m.call('deckies.deploy', {
    services: ['ssh', 'http'],
    serviceConfig: { ssh: { users: 'root:toor' } },
    deckies: [
      { name: 'srv-search-web', ip: WEB },
      { name: 'srv-search-files', ip: FILES },
    ],
  });
  expect((await settled(m, res.lifecycleIds, 60_000)).map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
  for (const pw of ['toor', 'wrong']) {
    await writeFile(join(tmp.dir, `askpass-${pw}`), `#!/bin/sh\necho '${pw}'\n`);
    await chmod(join(tmp.dir, `askpass-${pw}`), 0o755);
  }
  // Phase one: a failed login, then a session with two commands, both on the web decky.
  await ssh(ATTACKER, WEB, 'wrong', '');
  await ssh(ATTACKER, WEB, 'toor', 'uname -a\ncat /etc/passwd\nexit\n');
  await eventually(
    async () => (await m.call('events.list', { src: ATTACKER, kind: 'command' })).total >= 3 || undefined,
    { timeoutMs: 30_000, what: 'ssh commands stored' },
  );
  // The session's recording is reported when it ends, after the commands: phase one is over only then.
  await eventually(
    async () => (await m.call('events.list', { src: ATTACKER, kind: 'recording' })).total >= 1 || undefined,
    { timeoutMs: 30_000, what: 'ssh session recording stored' },
  );
  mid = new Date().toISOString();
  // Phase two: web requests on the other decky, from the attacker and from someone else.
  await httpHit(ATTACKER, FILES, '/wp-login.php?marker=qz7-needle');
  await httpHit(OTHER, FILES, '/index.html');
  await eventually(async () => (await m.call('events.list', { src: OTHER, kind: 'request' })).total >= 1 || undefined, {
    timeoutMs: 30_000,
    what: 'http requests stored',
  });
  await eventually(async () => (await m.call('events.list', { text: 'qz7-needle' })).total >= 1 || undefined, {
    timeoutMs: 30_000,
    what: 'attacker request stored',
  });
}, 180_000);
afterAll(async () => {
  await agent?.kill();
  await m?.stop();
  await tmp?.remove();
});

describe('event search over the stored history', () => {
  it('finds events by source, by CIDR, by time range and by text, paging with a keyset cursor', async () => {
    const bySource = await all({ src: ATTACKER });
    expect(bySource.length).toBe((await m.call('events.list', { src: ATTACKER })).total);
    expect(new Set(bySource.map((e) => e.src))).toEqual(new Set([ATTACKER]));
    expect(new Set(bySource.map((e) => e.decky))).toEqual(new Set(['srv-search-web', 'srv-search-files']));
    expect(new Set(bySource.map((e) => e.id)).size).toBe(bySource.length);
    // Newest first across pages.
    const times = bySource.map((e) => Date.parse(e.ts));
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    // 127.x.y.48/30 holds .50 (the attacker) and not .60.
    const block = `${ATTACKER.replace(/\.\d+$/, '.48')}/30`;
    expect((await all({ src: block })).map((e) => e.id).sort()).toEqual(bySource.map((e) => e.id).sort());

    const before = await all({ src: ATTACKER, until: mid });
    const after = await all({ src: ATTACKER, since: mid });
    expect(new Set(before.map((e) => e.service))).toEqual(new Set(['ssh']));
    expect(new Set(after.map((e) => e.decky))).toEqual(new Set(['srv-search-files']));
    expect(before.length + after.length).toBe(bySource.length);

    const byText = await all({ text: 'qz7-needle' });
    expect(byText.map((e) => [e.src, e.kind, e.decky])).toEqual([[ATTACKER, 'request', 'srv-search-files']]);
    expect((await all({ text: 'etc/passwd', src: ATTACKER })).map((e) => e.data.command)).toEqual(['cat /etc/passwd']);
  });

  it('the attacker view: one source across two deckies, its ssh session with the login and commands in order', async () => {
    const sources = (await m.call('sources.list', {})).sources;
    const me = sources.find((s) => s.src === ATTACKER)!;
    expect(me).toMatchObject({ deckies: ['srv-search-files', 'srv-search-web'], services: ['http', 'ssh'] });
    expect(me.credentials).toBeGreaterThanOrEqual(2); // root/wrong and root/toor
    expect(me.commands).toBe(3); // uname -a, cat /etc/passwd, exit
    expect(sources.find((s) => s.src === OTHER)).toMatchObject({ deckies: ['srv-search-files'], credentials: 0 });

    const t = await m.call('sources.timeline', { src: ATTACKER });
    const ssh = t.sessions.filter((s) => s.service === 'ssh');
    expect(ssh).toHaveLength(2);
    const [failed, loggedIn] = ssh as [(typeof ssh)[0], (typeof ssh)[0]];
    expect(
      failed.credentials.filter((c) => c.password !== null).map((c) => [c.username, c.password, c.success]),
    ).toEqual([['root', 'wrong', false]]);
    expect(
      loggedIn.credentials.filter((c) => c.password !== null).map((c) => [c.username, c.password, c.success]),
    ).toEqual([['root', 'toor', true]]);
    expect(loggedIn.commands.map((c) => c.command)).toEqual(['uname -a', 'cat /etc/passwd', 'exit']);
    // The connection, the login and the commands are one session, in time order.
    expect(loggedIn.events[0]!.kind).toBe('connect');
    expect(loggedIn.events.map((e) => e.ts)).toEqual([...loggedIn.events.map((e) => e.ts)].sort());
    expect(new Set(loggedIn.events.map((e) => e.data.session))).toEqual(new Set([loggedIn.session]));
    expect(t.sessions.map((s) => s.start)).toEqual([...t.sessions.map((s) => s.start)].sort());
    // From a decky's row: the same source, only that decky.
    const onFiles = await m.call('sources.timeline', { src: ATTACKER, decky: 'srv-search-files' });
    expect(onFiles.sessions.map((s) => s.decky)).toEqual(['srv-search-files']);
  });

  it('the chart follows the filters and the range', async () => {
    const h = await m.call('events.histogram', { src: ATTACKER, since: mid });
    const counts = h.buckets.flatMap((b) => Object.entries(b.counts));
    expect(counts.every(([service]) => service === 'http')).toBe(true);
    expect(counts.reduce((n, [, c]) => n + c, 0)).toBe(
      (await m.call('events.list', { src: ATTACKER, since: mid })).total,
    );
  });

  it('refuses bad filters with one line naming what is wrong', async () => {
    await expect(m.call('events.list', { src: '10.0.0.0/33' })).rejects.toThrow(
      /src must be an address or an IPv4 CIDR/,
    );
    await expect(m.call('events.list', { text: 'ab' })).rejects.toThrow(/at least 3 characters/);
    await expect(m.call('events.list', { cursor: 'garbage' })).rejects.toThrow(
      /cursor: not a cursor this master issued/,
    );
  });

  it('exports the query as CSV and as ECS NDJSON, streamed over HTTP, holding exactly its events', async () => {
    const api = m.started.api!.url;
    const login = await fetch(`${api}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    const { token } = (await login.json()) as { token: string };
    const get = (q: string) =>
      fetch(`${api}/api/v1/events/export?${q}`, { headers: { authorization: `Bearer ${token}` } });
    const expected = await all({ src: ATTACKER });

    const csvRes = await get(`format=csv&src=${ATTACKER}`);
    expect(csvRes.status).toBe(200);
    expect(csvRes.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csvRes.headers.get('content-disposition')).toMatch(/^attachment; filename="decnet-events-.+\.csv"$/);
    const csvText = await csvRes.text();
    const [header, ...rows] = parseCsv(csvText);
    expect(header).toEqual([
      'timestamp',
      'id',
      'host',
      'decky',
      'destination_ip',
      'service',
      'source_ip',
      'kind',
      'session',
      'username',
      'password',
      'command',
      'data',
    ]);
    const col = (r: string[], name: string) => r[header!.indexOf(name)]!;
    expect(rows.map((r) => col(r, 'id'))).toEqual(expected.map((e) => e.id));
    for (const [i, r] of rows.entries()) {
      const e = expected[i]!;
      expect([col(r, 'timestamp'), col(r, 'decky'), col(r, 'service'), col(r, 'source_ip'), col(r, 'kind')]).toEqual([
        e.ts,
        e.decky,
        e.service,
        e.src,
        e.kind,
      ]);
      expect(JSON.parse(col(r, 'data'))).toEqual(e.data);
      expect(col(r, 'destination_ip')).toBe(e.decky === 'srv-search-web' ? WEB : FILES);
    }
    // The contract's pages are the same file (the console's download button joins them).
    let page = await m.call('events.export', { format: 'csv', src: ATTACKER });
    let joined = page.text;
    while (page.nextCursor) {
      page = await m.call('events.export', {
        format: 'csv',
        src: ATTACKER,
        cursor: page.nextCursor,
        maxSeq: page.maxSeq,
      });
      joined += page.text;
    }
    expect(joined).toBe(csvText);

    const ndRes = await get(`format=ndjson&src=${ATTACKER}`);
    expect(ndRes.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const docs = (await ndRes.text())
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Ecs);
    expect(docs.map((d) => d.event.id)).toEqual(expected.map((e) => e.id));
    for (const [i, d] of docs.entries()) {
      const e = expected[i]!;
      expect(d['@timestamp']).toBe(e.ts);
      expect(d.source.ip).toBe(e.src);
      expect(d.destination.ip).toBe(e.decky === 'srv-search-web' ? WEB : FILES);
      expect(d.event).toMatchObject({ kind: 'event', action: e.kind, dataset: `decnet.${e.service}` });
      expect(d.service.name).toBe(e.service);
      expect(d.decnet.data).toEqual(e.data);
    }
    const loginDoc = docs.find((d) => d.event.action === 'auth' && d.event.outcome === 'success')!;
    expect(loginDoc.user!.name).toBe('root');
    expect(loginDoc.event.category).toEqual(['authentication']);
    const cmds = docs.flatMap((d) => (d.process ? [d.process.command_line] : []));
    expect(cmds.reverse()).toEqual(['uname -a', 'cat /etc/passwd', 'exit']);

    const bad = await get('format=xml');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toBe(
      'events export: format: format must be csv or ndjson',
    );
    expect((await fetch(`${api}/api/v1/events/export?format=csv`)).status).toBe(401);
  });
});

type Ecs = {
  '@timestamp': string;
  event: { id: string; kind: string; action: string; dataset: string; category: string[]; outcome?: string };
  source: { ip: string };
  destination: { ip?: string };
  service: { name: string };
  user?: { name: string };
  process?: { command_line: string };
  decnet: { data: unknown };
};

/** RFC 4180: quoted fields, doubled quotes, CRLF rows (what a spreadsheet reads). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (quoted && c === '"') quoted = false;
    else if (quoted) field += c;
    else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}
