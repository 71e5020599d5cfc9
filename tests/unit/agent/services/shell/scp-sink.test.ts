import { EventEmitter } from 'node:events';
import type ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { createMachine } from '../../../../../agent/services/shell/emul/session';
import { scpSinkTarget, serveScpSink } from '../../../../../agent/services/shell/scp-sink';
import type { PayloadCapture } from '../../../../../agent/services/shell/payloads/payload-capture';

/** A stand-in for the ssh2 channel: what the sink writes, its exit code, whether it ended. */
function fakeChannel() {
  const ch = Object.assign(new EventEmitter(), {
    written: [] as Buffer[],
    code: null as number | null,
    ended: false,
    write(b: Buffer) {
      ch.written.push(Buffer.from(b));
      return true;
    },
    exit(c: number) {
      ch.code = c;
    },
    end() {
      ch.ended = true;
    },
  });
  return ch;
}

const identity = { user: 'root', hostname: 'h', kernel: '6.1.0-26-amd64', distro: 'debian' as const, users: ['root'] };

function sink(target: string) {
  const machine = createMachine(identity);
  const files: { path: string; content: Buffer }[] = [];
  const payloads = {
    file: (f: { path: string; content: string | Buffer }) => {
      files.push({ path: f.path, content: Buffer.from(f.content) });
      return Promise.resolve();
    },
  } as unknown as PayloadCapture;
  const ch = fakeChannel();
  serveScpSink(ch as unknown as ssh2.ServerChannel, target, machine, payloads);
  return { ch, files, machine };
}

describe('scp -t sink', () => {
  it('recognises the sink command lines bots and scp -O send', () => {
    expect(scpSinkTarget('scp -t /tmp/')).toBe('/tmp/');
    expect(scpSinkTarget('scp -v -d -t -- /root')).toBe('/root');
    expect(scpSinkTarget('scp -rt .')).toBe('.');
    expect(scpSinkTarget('scp -f /etc/passwd')).toBeNull();
    expect(scpSinkTarget('ls -t')).toBeNull();
  });

  it('receives a directory with a file and answers every step with a zero byte', () => {
    const { ch, files, machine } = sink('/tmp');
    ch.emit('data', Buffer.from('D0755 0 kit\nC0644 5 a.sh\nhello\0E\n'));
    expect(Buffer.concat(ch.written)).toEqual(Buffer.from([0, 0, 0, 0, 0]));
    expect(files).toEqual([{ path: '/tmp/kit/a.sh', content: Buffer.from('hello') }]);
    expect(machine.fs.stat('/tmp/kit/a.sh')?.content).toBe('hello');
    ch.emit('end');
    expect(ch.code).toBe(0);
  });

  it('refuses a path in a name, an oversized file and a runaway control line, and ends', () => {
    const bad = sink('/tmp');
    bad.ch.emit('data', Buffer.from('C0644 1 ../../etc/x\n'));
    const answer = Buffer.concat(bad.ch.written).subarray(1);
    expect(answer[0]).toBe(1);
    expect(answer.subarray(1).toString()).toMatch(/^scp: protocol error/);
    expect(bad.ch.code).toBe(1);
    const big = sink('/tmp');
    big.ch.emit('data', Buffer.from(`C0644 ${5 * 1024 * 1024} huge\n`));
    expect(Buffer.concat(big.ch.written).toString()).toContain('No space left on device');
    const long = sink('/tmp');
    long.ch.emit('data', Buffer.alloc(5000, 0x41));
    expect(long.ch.code).toBe(1);
  });

  it('survives 2,000 random inputs without throwing', () => {
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pieces = ['C0644 ', 'D0755 0 ', 'E\n', 'T1 0 1 0\n', '\0', '\n', 'x', '3 ', '/', '..', '\x01'];
    for (let i = 0; i < 2_000; i++) {
      const { ch } = sink(rnd() < 0.5 ? '/tmp' : '/tmp/f');
      const input = Array.from(
        { length: 1 + Math.floor(rnd() * 20) },
        () => pieces[Math.floor(rnd() * pieces.length)],
      ).join('');
      expect(() => ch.emit('data', Buffer.from(input))).not.toThrow();
    }
  });
});
