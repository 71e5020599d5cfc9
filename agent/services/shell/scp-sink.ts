import type ssh2 from 'ssh2';
import { quarantineLimits } from './payloads/quarantine';
import type { PayloadCapture } from './payloads/payload-capture';
import type { EmulatedMachine } from './emul/session';
import { resolvePath } from './emul/vfs';

export const scpLimits = { maxControlBytes: 1024, maxUploadBytes: 16 * 1024 * 1024, maxDepth: 16 } as const;

/** `scp -t [-r] [-d] [-p] [-v] <target>`: the sink side of the classic scp protocol, or null. */
export function scpSinkTarget(command: string): string | null {
  const words = command.trim().split(/\s+/);
  if (words[0] !== 'scp' || !words.slice(1).some((w) => /^-[a-zA-Z]*t[a-zA-Z]*$/.test(w))) return null;
  return (
    words
      .slice(1)
      .filter((w) => !w.startsWith('-'))
      .pop() ?? '.'
  );
}

/**
 * What the remote end of `scp -O file host:dir` runs: reads `C`/`D`/`E`/`T` control lines and file
 * bodies, writes each file into the fake filesystem and captures it. Every reply is the protocol's
 * one byte (0 ok, 1 + message on error), as OpenSSH's scp sink answers.
 */
export function serveScpSink(
  stream: ssh2.ServerChannel,
  target: string,
  machine: EmulatedMachine,
  payloads: PayloadCapture,
): void {
  const { fs, user } = machine;
  const root = resolvePath(user.home, target, user.home);
  const dirs: string[] = [];
  let total = 0;
  let control: number[] = [];
  let file: { path: string; size: number; got: Buffer[]; bytes: number } | null = null;
  // After a file body the sender sends one status byte; the sink answers it with this.
  let endReply: (() => void) | null = null;
  const ok = () => stream.write(Buffer.from([0]));
  const fail = (msg: string) => stream.write(Buffer.concat([Buffer.from([1]), Buffer.from(`scp: ${msg}\n`)]));
  const finish = (code: number) => {
    stream.exit(code);
    stream.end();
  };
  const destFor = (name: string) => {
    const base = dirs.length ? dirs[dirs.length - 1]! : root;
    // A single-file copy to a path that is not a directory names the file itself.
    if (!dirs.length && fs.stat(root)?.kind !== 'dir') return root;
    return `${base === '/' ? '' : base}/${name}`;
  };

  const onControl = (line: string): boolean => {
    const kind = line[0];
    if (kind === 'T') return (ok(), true);
    if (kind === 'E') {
      dirs.pop();
      return (ok(), true);
    }
    const m = /^([CD])([0-7]{4}) (\d{1,12}) ([^/\0]{1,255})$/.exec(line);
    if (!m || m[4] === '.' || m[4] === '..') {
      fail('protocol error: bad control line');
      finish(1);
      return false;
    }
    const [, type, mode, size, name] = m;
    const path = destFor(name!);
    if (type === 'D') {
      if (dirs.length >= scpLimits.maxDepth) return (fail(`${path}: too deep`), finish(1), false);
      const err = fs.stat(path)?.kind === 'dir' ? undefined : fs.mkdir(path, user.uid, user.gid);
      if (err) return (fail(`${path}: ${err === 'EACCES' ? 'Permission denied' : 'Not a directory'}`), true);
      dirs.push(path);
      return (ok(), true);
    }
    const bytes = Number(size);
    if (bytes > quarantineLimits.maxFileBytes || total + bytes > scpLimits.maxUploadBytes) {
      fail(`${path}: No space left on device`);
      finish(1);
      return false;
    }
    void mode;
    file = { path, size: bytes, got: [], bytes: 0 };
    ok();
    return true;
  };

  stream.on('data', (chunk: Buffer) => {
    let at = 0;
    while (at < chunk.length) {
      if (file) {
        const take = Math.min(file.size - file.bytes, chunk.length - at);
        file.got.push(chunk.subarray(at, at + take));
        file.bytes += take;
        at += take;
        if (file.bytes === file.size) {
          const done = file;
          file = null;
          total += done.size;
          const content = Buffer.concat(done.got);
          void payloads.file({ channel: 'scp', source: `scp:${done.path}`, path: done.path, content });
          const err = fs.writeFile(done.path, content.toString('latin1'), { uid: user.uid, gid: user.gid });
          endReply = err
            ? () => fail(`${done.path}: ${err === 'EACCES' ? 'Permission denied' : 'No space left on device'}`)
            : ok;
        }
        continue;
      }
      const byte = chunk[at++]!;
      if (endReply) {
        const reply = endReply;
        endReply = null;
        reply();
        continue;
      }
      if (byte === 0x0a) {
        const line = Buffer.from(control).toString('utf8');
        control = [];
        if (!onControl(line)) return;
        continue;
      }
      control.push(byte);
      if (control.length > scpLimits.maxControlBytes) {
        fail('protocol error: control line too long');
        return finish(1);
      }
    }
  });
  stream.on('end', () => finish(0));
  stream.on('error', () => undefined);
  // The sink speaks first: "ready".
  ok();
}
