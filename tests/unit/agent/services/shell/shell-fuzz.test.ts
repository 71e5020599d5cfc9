import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMachine, shellLimits } from '../../../../../agent/services/shell/fake-shell';

/**
 * 10,000 random command lines through one session per run: built from shell syntax, command
 * names, paths and random text, so they reach the parser's corners and the commands' argument
 * handling. No line may throw (a throw would become the catch-all "Segmentation fault"), output
 * stays within its bound, and the heap stays bounded although every line may write files.
 */
const words = fc.oneof(
  fc.constantFrom(
    'ls',
    'cat',
    'echo',
    'cd',
    'rm',
    'cp',
    'mv',
    'mkdir',
    'touch',
    'chmod',
    'grep',
    'head',
    'tail',
    'wc',
    'sort',
    'uniq',
    'cut',
    'tr',
    'printf',
    'wget',
    'curl',
    'tftp',
    'sh',
    'bash',
    'sudo',
    'su',
    'busybox',
    'crontab',
    'ps',
    'top',
    'kill',
    'free',
    'df',
    'uname',
    'id',
    'history',
    'export',
    'unset',
    'env',
    'base64',
    'md5sum',
    'systemctl',
    'apt-get',
    'yum',
    'ip',
    'ss',
    'netstat',
    'exit',
    'x',
    './x.sh',
    '/tmp/x',
    'nohup',
    'source',
    'type',
    'which',
    'passwd',
    'chown',
    'dd',
    'seq',
  ),
  fc.constantFrom('-la', '-rf', '-n', '5', '-c', '+x', '777', '-O', '-', '-e', '-bn1', 'aux', '-ef', '-l', 'a'),
  fc.constantFrom(
    '/',
    '/tmp',
    '/tmp/x',
    '/etc/passwd',
    '/proc/cpuinfo',
    '~',
    '..',
    '.',
    '*',
    '/etc/*',
    '?',
    '[a-z]*',
    '/dev/null',
    'http://127.0.0.1/x.sh',
  ),
  fc.constantFrom(
    '$HOME',
    '$?',
    '${PATH}',
    '$(id)',
    '`whoami`',
    '"$X"',
    "'q'",
    '\\$',
    '$(',
    '`',
    '"',
    "'",
    '${',
    '$((1))',
  ),
  fc.string({ maxLength: 12 }),
);
const ops = fc.constantFrom(
  ' ',
  ' ',
  ' ',
  ';',
  '|',
  '&&',
  '||',
  '>',
  '>>',
  '<',
  '2>&1',
  '&',
  '\n',
  '2>',
  '&>',
  '!',
  '(',
  ')',
  '#',
);
const chaotic = fc.array(fc.tuple(words, ops), { maxLength: 14 }).map((parts) => parts.map(([w, o]) => w + o).join(''));
// Well-formed lines too, so most input gets past the parser into the commands' argument handling.
const commandWord = words.filter((w) => /^[a-z./][a-z0-9._/-]*$/.test(w));
const argWord = fc.oneof(
  words,
  words.map((w) => `'${w.replace(/'/g, '')}'`),
  words.map((w) => `"${w.replace(/["\\$`]/g, '')}"`),
);
const simple = fc
  .tuple(
    commandWord,
    fc.array(argWord, { maxLength: 4 }),
    fc.constantFrom('', '', ' > /tmp/o', ' >> /tmp/o', ' 2>/dev/null', ' < /etc/passwd', ' 2>&1'),
  )
  .map(([c, a, r]) => [c, ...a].join(' ') + r);
const wellFormed = fc
  .array(fc.tuple(simple, fc.constantFrom(' ; ', ' | ', ' && ', ' || ', '\n')), { minLength: 1, maxLength: 5 })
  .map((parts) => parts.map(([c, sep], i) => (i === parts.length - 1 ? c : c + sep)).join(''));
const line = fc.oneof(wellFormed, wellFormed, chaotic);

describe('emulated shell under random input', () => {
  it.each(['shell', 'exec'] as const)(
    '10,000 random lines (%s): no throw, bounded output and memory',
    (mode) => {
      const id = {
        user: 'root',
        hostname: 'fuzz',
        kernel: '6.1.0-26-amd64',
        distro: 'debian',
        users: ['root', 'deploy'],
        seed: 'fuzz',
      } as const;
      globalThis.gc?.();
      const before = process.memoryUsage().heapUsed;
      let machine = createMachine(id);
      let session = machine.open(mode);
      let lines = 0;
      let crashes = 0;
      let parsed = 0;
      fc.assert(
        fc.property(line, (l) => {
          const out = session.run(l);
          lines++;
          const bytes = out.chunks.reduce((n, c) => n + c.text.length, 0);
          expect(bytes).toBeLessThanOrEqual(shellLimits.maxOutputBytes);
          if (out.code === 139) crashes++;
          if (out.code !== 2) parsed++;
          // `exit` ends the session: start another on the same machine, as a reconnect would.
          if (out.exit) session = machine.open(mode);
          // A fresh machine every 2,000 lines, as connections end: the old one must be collectable.
          if (lines % 2_000 === 0) {
            machine = createMachine(id);
            session = machine.open(mode);
          }
        }),
        { numRuns: 10_000, seed: 22 },
      );
      expect(lines).toBe(10_000);
      expect(crashes).toBe(0);
      // Most lines must reach the commands, not stop at a syntax error.
      expect(parsed).toBeGreaterThan(5_000);
      globalThis.gc?.();
      const grown = process.memoryUsage().heapUsed - before;
      // One session's layer is capped at 1 MiB of content; a generous bound for the heap growth.
      expect(grown).toBeLessThan(96 * 1024 * 1024);
    },
    120_000,
  );

  it('a session stops growing at its filesystem bound', () => {
    const s = createMachine({ user: 'root', hostname: 'h', kernel: '6.1.0' }).open('exec');
    // Lines are capped at 8 KiB, so grow a file by concatenation: 4 KiB → 128 KiB → 4 MiB (> 1 MiB).
    s.run(`echo ${'A'.repeat(4095)} > /tmp/a`);
    s.run(`cat ${'/tmp/a '.repeat(32)}> /tmp/b`);
    const last = s.run(`cat ${'/tmp/b '.repeat(32)}> /tmp/c; cp /tmp/c /tmp/d`);
    expect(last.chunks.map((c) => c.text).join('')).toMatch(/No space left on device/);
    const many = createMachine({ user: 'root', hostname: 'h', kernel: '6.1.0' }).open('exec');
    let out = many.run('true');
    for (let i = 0; i < shellLimits.maxFsEntries + 10; i++) out = many.run(`touch /tmp/e${i}`);
    expect(out.chunks.map((c) => c.text).join('')).toBe(
      `touch: cannot touch '/tmp/e${shellLimits.maxFsEntries + 9}': No space left on device\n`,
    );
  });

  it('expansion, nesting, pipelines and history are capped', () => {
    const s = createMachine({ user: 'root', hostname: 'h', kernel: '6.1.0' }).open('shell');
    expect(s.run('a|'.repeat(20) + 'a').chunks[0]!.text).toContain('fork: retry: Resource temporarily unavailable');
    s.run('echo "echo \\$(sh /tmp/r)" > /tmp/r');
    expect(
      s
        .run('sh /tmp/r')
        .chunks.map((c) => c.text)
        .join(''),
    ).toContain('maximum nesting level exceeded');
    for (let i = 0; i < shellLimits.maxHistory + 50; i++) s.run(`echo ${i}`);
    const hist = s.run('history').chunks[0]!.text.trim().split('\n');
    expect(hist).toHaveLength(shellLimits.maxHistory);
    const big = s.run(
      'cat /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo /proc/cpuinfo',
    );
    expect(big.chunks.reduce((n, c) => n + c.text.length, 0)).toBeLessThanOrEqual(shellLimits.maxOutputBytes);
  });
});
