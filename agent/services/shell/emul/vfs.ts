import { shellLimits } from './limits';

/**
 * The fake filesystem of one session: a read-only base layer built once per persona (shared by
 * every session of the decky) under a per-session copy-on-write layer. What an attacker writes,
 * deletes or chmods lives only in that layer and dies with the session, so sessions never see each
 * other and nothing touches the worker's disk.
 */
export type FsNode = Readonly<{
  kind: 'file' | 'dir';
  /** Permission bits (0o755), plus 0o1000 for sticky /tmp. */
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  content?: string;
  /** Size a file claims when its content is not stored (binaries under /usr/bin). */
  size?: number;
  /**
   * A usrmerge symlink (`/bin -> usr/bin`): shown as a link by `ls -l`, otherwise behaves as the
   * directory it names (the base layer gives both paths the same entries).
   */
  link?: string;
}>;

export type BaseLayer = Readonly<{
  nodes: ReadonlyMap<string, FsNode>;
  children: ReadonlyMap<string, readonly string[]>;
}>;

export function sizeOf(node: FsNode): number {
  if (node.link !== undefined) return node.link.length;
  if (node.kind === 'dir') return 4096;
  return node.content !== undefined ? Buffer.byteLength(node.content, 'latin1') : (node.size ?? 0);
}

export function parentOf(path: string): string {
  const at = path.lastIndexOf('/');
  return at <= 0 ? '/' : path.slice(0, at);
}

export function baseName(path: string): string {
  return path === '/' ? '/' : path.slice(path.lastIndexOf('/') + 1);
}

/** Absolute, normalised path of `p` seen from `cwd` (`~` is `home`). Never leaves `/`. */
export function resolvePath(cwd: string, p: string, home: string): string {
  let path = p;
  if (path === '~' || path.startsWith('~/')) path = home + path.slice(1);
  if (!path.startsWith('/')) path = `${cwd}/${path}`;
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}

/** Builds a base layer from path → node entries; missing parent directories are created. */
export function buildBase(entries: Iterable<readonly [string, FsNode]>): BaseLayer {
  const nodes = new Map<string, FsNode>([['/', { kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0 }]]);
  const kids = new Map<string, Set<string>>();
  const add = (path: string, node: FsNode) => {
    nodes.set(path, node);
    const parent = parentOf(path);
    if (!nodes.has(parent)) add(parent, { kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: node.mtime });
    let set = kids.get(parent);
    if (!set) kids.set(parent, (set = new Set()));
    set.add(baseName(path));
  };
  for (const [path, node] of entries) {
    if (path === '/') nodes.set('/', node);
    else add(path, node);
  }
  const children = new Map<string, readonly string[]>();
  for (const [dir, set] of kids) children.set(dir, [...set]);
  return { nodes, children };
}

export type FsError = 'ENOENT' | 'EEXIST' | 'EISDIR' | 'ENOTDIR' | 'ENOSPC' | 'EACCES' | 'ENOTEMPTY';

/** The words coreutils print for each error (strerror). */
export const fsErrorText: Readonly<Record<FsError, string>> = {
  ENOENT: 'No such file or directory',
  EEXIST: 'File exists',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ENOSPC: 'No space left on device',
  EACCES: 'Permission denied',
  ENOTEMPTY: 'Directory not empty',
};

export class SessionFs {
  /** path → node, or null for a path deleted in this session. */
  private readonly layer = new Map<string, FsNode | null>();
  private bytes = 0;

  constructor(
    private readonly base: BaseLayer,
    private readonly now: () => number,
  ) {}

  get usedBytes(): number {
    return this.bytes;
  }

  get entries(): number {
    return this.layer.size;
  }

  /** Files of the session layer that hold content (what this session wrote), in write order. */
  ownFiles(): { path: string; content: string }[] {
    const out: { path: string; content: string }[] = [];
    for (const [path, node] of this.layer)
      if (node?.kind === 'file' && node.content !== undefined && node.content !== this.base.nodes.get(path)?.content)
        out.push({ path, content: node.content });
    return out;
  }

  stat(path: string): FsNode | undefined {
    const own = this.layer.get(path);
    if (own === null) return undefined;
    return own ?? this.base.nodes.get(path);
  }

  /** Names in a directory, sorted as `ls` does with LC_ALL=C (dotfiles included). */
  list(dir: string): string[] {
    const names = new Set(this.base.children.get(dir) ?? []);
    const prefix = dir === '/' ? '/' : `${dir}/`;
    for (const [path, node] of this.layer) {
      if (!path.startsWith(prefix) || path.length === prefix.length || path.slice(prefix.length).includes('/'))
        continue;
      if (node === null) names.delete(baseName(path));
      else names.add(baseName(path));
    }
    for (const name of [...names]) if (!this.stat(prefix + name)) names.delete(name);
    return [...names].sort();
  }

  /** May `uid` create or remove entries in `dir`? Root always; others by owner or world-writable. */
  canWrite(dir: string, uid: number): boolean {
    const node = this.stat(dir);
    if (!node) return false;
    return uid === 0 || node.uid === uid || (node.mode & 0o002) !== 0;
  }

  private put(path: string, node: FsNode | null): FsError | undefined {
    const before = this.stat(path);
    const delta = (node ? sizeOf(node) : 0) - (before && this.layer.get(path) ? sizeOf(before) : 0);
    if (node && this.bytes + Math.max(0, delta) > shellLimits.maxFsBytes) return 'ENOSPC';
    if (!this.layer.has(path) && this.layer.size >= shellLimits.maxFsEntries) return 'ENOSPC';
    this.bytes = Math.max(0, this.bytes + delta);
    this.layer.set(path, node);
    return undefined;
  }

  writeFile(path: string, content: string, opts: { append?: boolean; uid: number; gid: number }): FsError | undefined {
    const parent = this.stat(parentOf(path));
    if (!parent) return 'ENOENT';
    if (parent.kind !== 'dir') return 'ENOTDIR';
    const existing = this.stat(path);
    if (existing?.kind === 'dir') return 'EISDIR';
    if (existing ? opts.uid !== 0 && existing.uid !== opts.uid : !this.canWrite(parentOf(path), opts.uid))
      return 'EACCES';
    const old = opts.append && existing ? (existing.content ?? '') : '';
    return this.put(path, {
      kind: 'file',
      mode: existing?.mode ?? 0o644,
      uid: existing?.uid ?? opts.uid,
      gid: existing?.gid ?? opts.gid,
      mtime: this.now(),
      content: old + content,
    });
  }

  mkdir(path: string, uid: number, gid: number): FsError | undefined {
    if (this.stat(path)) return 'EEXIST';
    const parent = this.stat(parentOf(path));
    if (!parent) return 'ENOENT';
    if (parent.kind !== 'dir') return 'ENOTDIR';
    if (!this.canWrite(parentOf(path), uid)) return 'EACCES';
    return this.put(path, { kind: 'dir', mode: 0o755, uid, gid, mtime: this.now() });
  }

  /** Removes a file, or a directory tree when `recursive`. */
  remove(path: string, recursive: boolean, uid: number): FsError | undefined {
    const node = this.stat(path);
    if (!node) return 'ENOENT';
    if (path === '/') return 'EACCES';
    if (!this.canWrite(parentOf(path), uid)) return 'EACCES';
    if (node.kind === 'dir') {
      const kids = this.list(path);
      if (!recursive && kids.length) return 'ENOTEMPTY';
      for (const k of kids) {
        const err = this.remove(`${path}/${k}`, true, uid);
        if (err) return err;
      }
    }
    return this.put(path, null);
  }

  /** Replaces a node's metadata (chmod, chown, touch). */
  update(path: string, patch: Partial<FsNode>): FsError | undefined {
    const node = this.stat(path);
    if (!node) return 'ENOENT';
    return this.put(path, { ...node, ...patch });
  }

  /** Copies a file or a tree to `to` (cp -r, mv across the layer). */
  copy(from: string, to: string, uid: number, gid: number): FsError | undefined {
    const node = this.stat(from);
    if (!node) return 'ENOENT';
    if (to === from || to.startsWith(`${from}/`)) return 'EEXIST';
    if (!this.stat(parentOf(to))) return 'ENOENT';
    if (!this.canWrite(parentOf(to), uid)) return 'EACCES';
    const err = this.put(to, { ...node, uid, gid, mtime: this.now() });
    if (err || node.kind !== 'dir') return err;
    for (const k of this.list(from)) {
      const e = this.copy(`${from}/${k}`, `${to}/${k}`, uid, gid);
      if (e) return e;
    }
    return undefined;
  }
}
