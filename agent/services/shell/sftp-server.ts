import ssh2 from 'ssh2';
import { quarantineLimits } from './payloads/quarantine';
import type { PayloadCapture } from './payloads/payload-capture';
import type { EmulatedMachine } from './emul/session';
import { parentOf, resolvePath, sizeOf, type FsError, type FsNode } from './emul/vfs';

const { STATUS_CODE, OPEN_MODE } = ssh2.utils.sftp;

/**
 * Bounds of sftp: open handles and events per channel; bytes uploaded per connection over all its
 * channels and files (`budget`, shared), charged by how much each file grows, so a sparse write
 * far into a file costs what it allocates.
 */
export const sftpLimits = { maxHandles: 32, maxUploadBytes: 16 * 1024 * 1024, maxEvents: 200 } as const;

/** The connection's upload allowance, shared by its sftp channels. */
export type UploadBudget = { left: number };

export function newUploadBudget(): UploadBudget {
  return { left: sftpLimits.maxUploadBytes };
}

type Handle =
  | { kind: 'read'; path: string; content: Buffer }
  | { kind: 'write'; path: string; chunks: Buffer; size: number }
  | { kind: 'dir'; path: string; done: boolean };

const codeOf: Record<FsError, number> = {
  ENOENT: STATUS_CODE.NO_SUCH_FILE,
  EACCES: STATUS_CODE.PERMISSION_DENIED,
  EEXIST: STATUS_CODE.FAILURE,
  EISDIR: STATUS_CODE.FAILURE,
  ENOTDIR: STATUS_CODE.FAILURE,
  ENOSPC: STATUS_CODE.FAILURE,
  ENOTEMPTY: STATUS_CODE.FAILURE,
};

function attrsOf(n: FsNode) {
  const t = Math.floor(n.mtime / 1000);
  return {
    mode: (n.kind === 'dir' ? 0o040000 : 0o100000) | (n.mode & 0o7777),
    uid: n.uid,
    gid: n.gid,
    size: sizeOf(n),
    atime: t,
    mtime: t,
  };
}

function longname(name: string, n: FsNode): string {
  const bits = n.mode & 0o777;
  const rwx = [6, 3, 0]
    .map((s) => ['r', 'w', 'x'].map((c, i) => ((bits >> (s + 2 - i)) & 1 ? c : '-')).join(''))
    .join('');
  const d = new Date(n.mtime);
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  return `${n.kind === 'dir' ? 'd' : '-'}${rwx}    1 ${String(n.uid).padEnd(8)} ${String(n.gid).padEnd(8)} ${String(sizeOf(n)).padStart(8)} ${month} ${String(d.getUTCDate()).padStart(2)} ${d.toISOString().slice(11, 16)} ${name}`;
}

/**
 * An SFTP server over the connection's fake filesystem (OpenSSH's sftp, and scp since 9.0, speak
 * it). Uploads land in the fake filesystem and every finished upload is captured as a payload;
 * downloads read the fake files. Nothing touches the worker's disk except the quarantine.
 */
export function serveSftp(
  sftp: ssh2.SFTPWrapper,
  machine: EmulatedMachine,
  payloads: PayloadCapture,
  record: (data: Record<string, unknown>) => void,
  budget: UploadBudget,
): void {
  const fs = machine.fs;
  const user = machine.user;
  const handles = new Map<number, Handle>();
  let nextHandle = 1;
  let events = 0;
  const resolve = (p: string) => resolvePath(user.home, p || '.', user.home);
  const note = (data: Record<string, unknown>) => {
    if (++events <= sftpLimits.maxEvents) record({ mode: 'sftp', ...data });
  };
  const newHandle = (h: Handle): Buffer | null => {
    if (handles.size >= sftpLimits.maxHandles) return null;
    const id = nextHandle++;
    handles.set(id, h);
    const b = Buffer.alloc(4);
    b.writeUInt32BE(id);
    return b;
  };
  const handleOf = (b: Buffer) => (b.length === 4 ? handles.get(b.readUInt32BE(0)) : undefined);
  const status = (reqId: number, err: FsError | undefined) => sftp.status(reqId, err ? codeOf[err] : STATUS_CODE.OK);

  sftp.on('REALPATH', (reqId, path) => {
    const p = resolve(path);
    sftp.name(reqId, [{ filename: p, longname: p, attrs: {} as ssh2.Attributes }]);
  });
  const statReq = (reqId: number, path: string) => {
    const n = fs.stat(resolve(path));
    return n ? sftp.attrs(reqId, attrsOf(n)) : sftp.status(reqId, STATUS_CODE.NO_SUCH_FILE);
  };
  sftp.on('STAT', statReq);
  sftp.on('LSTAT', statReq);
  sftp.on('FSTAT', (reqId, hb) => {
    const h = handleOf(hb);
    const n = h && fs.stat(h.path);
    if (h?.kind === 'write')
      return sftp.attrs(reqId, {
        ...attrsOf(n ?? { kind: 'file', mode: 0o644, uid: user.uid, gid: user.gid, mtime: Date.now() }),
        size: h.size,
      });
    return n ? sftp.attrs(reqId, attrsOf(n)) : sftp.status(reqId, STATUS_CODE.FAILURE);
  });
  sftp.on('OPEN', (reqId, filename, flags) => {
    const path = resolve(filename);
    const writing = (flags & (OPEN_MODE.WRITE | OPEN_MODE.APPEND)) !== 0;
    note({ op: 'open', path, write: writing });
    const node = fs.stat(path);
    if (!writing) {
      if (!node) return sftp.status(reqId, STATUS_CODE.NO_SUCH_FILE);
      if (node.kind === 'dir') return sftp.status(reqId, STATUS_CODE.FAILURE);
      const h = newHandle({ kind: 'read', path, content: Buffer.from(node.content ?? '', 'latin1') });
      return h ? sftp.handle(reqId, h) : sftp.status(reqId, STATUS_CODE.FAILURE);
    }
    if (node?.kind === 'dir') return sftp.status(reqId, STATUS_CODE.FAILURE);
    if (!node && !fs.canWrite(parentOf(path), user.uid))
      return sftp.status(reqId, fs.stat(parentOf(path)) ? STATUS_CODE.PERMISSION_DENIED : STATUS_CODE.NO_SUCH_FILE);
    if (flags & OPEN_MODE.EXCL && node) return sftp.status(reqId, STATUS_CODE.FAILURE);
    const keep = node && !(flags & OPEN_MODE.TRUNC) ? Buffer.from(node.content ?? '', 'latin1') : Buffer.alloc(0);
    const h = newHandle({ kind: 'write', path, chunks: keep, size: keep.length });
    return h ? sftp.handle(reqId, h) : sftp.status(reqId, STATUS_CODE.FAILURE);
  });
  sftp.on('WRITE', (reqId, hb, offset, data) => {
    const h = handleOf(hb);
    if (h?.kind !== 'write') return sftp.status(reqId, STATUS_CODE.FAILURE);
    const end = offset + data.length;
    // Past the per-file or per-channel bound the upload fails as on a full disk.
    const growth = Math.max(0, end - h.size);
    if (end > quarantineLimits.maxFileBytes || growth > budget.left)
      return sftp.status(reqId, STATUS_CODE.FAILURE, 'No space left on device');
    budget.left -= growth;
    if (end > h.chunks.length) {
      const grown = Buffer.alloc(Math.max(end, Math.min(h.chunks.length * 2, quarantineLimits.maxFileBytes)));
      h.chunks.copy(grown);
      h.chunks = grown;
    }
    data.copy(h.chunks, offset);
    h.size = Math.max(h.size, end);
    sftp.status(reqId, STATUS_CODE.OK);
  });
  sftp.on('READ', (reqId, hb, offset, len) => {
    const h = handleOf(hb);
    if (h?.kind !== 'read') return sftp.status(reqId, STATUS_CODE.FAILURE);
    if (offset >= h.content.length) return sftp.status(reqId, STATUS_CODE.EOF);
    sftp.data(reqId, h.content.subarray(offset, Math.min(h.content.length, offset + Math.min(len, 32_768))));
  });
  sftp.on('CLOSE', (reqId, hb) => {
    const h = handleOf(hb);
    if (!h) return sftp.status(reqId, STATUS_CODE.FAILURE);
    handles.delete(hb.readUInt32BE(0));
    if (h.kind !== 'write') return sftp.status(reqId, STATUS_CODE.OK);
    const content = h.chunks.subarray(0, h.size);
    // Captured even when the fake filesystem is too full to keep it: the payload is what matters.
    void payloads.file({ channel: 'sftp', source: `sftp:${h.path}`, path: h.path, content: Buffer.from(content) });
    status(reqId, fs.writeFile(h.path, content.toString('latin1'), { uid: user.uid, gid: user.gid }));
  });
  sftp.on('OPENDIR', (reqId, path) => {
    const p = resolve(path);
    const n = fs.stat(p);
    if (!n) return sftp.status(reqId, STATUS_CODE.NO_SUCH_FILE);
    if (n.kind !== 'dir') return sftp.status(reqId, STATUS_CODE.FAILURE);
    const h = newHandle({ kind: 'dir', path: p, done: false });
    return h ? sftp.handle(reqId, h) : sftp.status(reqId, STATUS_CODE.FAILURE);
  });
  sftp.on('READDIR', (reqId, hb) => {
    const h = handleOf(hb);
    if (h?.kind !== 'dir') return sftp.status(reqId, STATUS_CODE.FAILURE);
    if (h.done) return sftp.status(reqId, STATUS_CODE.EOF);
    h.done = true;
    const names = ['.', '..', ...fs.list(h.path)].slice(0, 1000);
    sftp.name(
      reqId,
      names.flatMap((name) => {
        const n = fs.stat(
          name === '.' ? h.path : name === '..' ? parentOf(h.path) : `${h.path === '/' ? '' : h.path}/${name}`,
        );
        return n ? [{ filename: name, longname: longname(name, n), attrs: attrsOf(n) }] : [];
      }),
    );
  });
  sftp.on('MKDIR', (reqId, path) => {
    const p = resolve(path);
    note({ op: 'mkdir', path: p });
    status(reqId, fs.mkdir(p, user.uid, user.gid));
  });
  sftp.on('REMOVE', (reqId, path) => {
    const p = resolve(path);
    note({ op: 'remove', path: p });
    status(reqId, fs.stat(p)?.kind === 'dir' ? 'EISDIR' : fs.remove(p, false, user.uid));
  });
  sftp.on('RMDIR', (reqId, path) => {
    const p = resolve(path);
    note({ op: 'rmdir', path: p });
    status(reqId, fs.stat(p)?.kind !== 'dir' ? 'ENOTDIR' : fs.remove(p, false, user.uid));
  });
  sftp.on('RENAME', (reqId, from, to) => {
    const [a, b] = [resolve(from), resolve(to)];
    note({ op: 'rename', path: a, to: b });
    if (fs.stat(b)) return sftp.status(reqId, STATUS_CODE.FAILURE);
    status(reqId, fs.copy(a, b, user.uid, user.gid) ?? fs.remove(a, true, user.uid));
  });
  const setstat = (reqId: number, path: string | undefined, attrs: ssh2.Attributes) => {
    if (path === undefined) return sftp.status(reqId, STATUS_CODE.FAILURE);
    const n = fs.stat(path);
    // A write handle's file exists only once closed: its mode is kept for then by ignoring it.
    if (!n) return sftp.status(reqId, STATUS_CODE.OK);
    status(reqId, attrs.mode !== undefined ? fs.update(path, { mode: attrs.mode & 0o7777 }) : undefined);
  };
  sftp.on('SETSTAT', (reqId, path, attrs) => setstat(reqId, resolve(path), attrs));
  sftp.on('FSETSTAT', (reqId, hb, attrs) => setstat(reqId, handleOf(hb)?.path, attrs));
  // The client's EOF ends the session. sshd then sends sftp-server's exit status 0 before closing;
  // without it scp exits 1. ssh2 1.17 has no API for that on an SFTP channel, so its protocol
  // object is used directly (the same internals ssh-kexinit.ts relies on).
  sftp.on('end', () => {
    const internal = sftp as unknown as {
      _protocol?: { exitStatus?: (id: number, code: number) => void; channelEOF?: (id: number) => void };
      outgoing?: { id: number; state: string };
    };
    if (internal.outgoing?.state === 'open') {
      internal._protocol?.exitStatus?.(internal.outgoing.id, 0);
      internal._protocol?.channelEOF?.(internal.outgoing.id);
    }
    sftp.end();
  });
  sftp.on('error', () => undefined);
  sftp.on('READLINK', (reqId) => sftp.status(reqId, STATUS_CODE.OP_UNSUPPORTED));
  sftp.on('SYMLINK', (reqId) => sftp.status(reqId, STATUS_CODE.OP_UNSUPPORTED));
}
