import { shellLimits } from '../limits';
import { type FetchedUrl, type Io, type ShellState, usage } from '../types';
import { baseName } from '../vfs';

/**
 * wget, curl and tftp. Nothing here touches the network: when the decky fakes transfers (the
 * default) they print a plausible transfer and drop a placeholder; when it really fetches, the
 * service has fetched each literal URL of the line before it ran (`fetchTargets`) and the body
 * is in `sh.fetched`, so the file holds the real bytes and is captured as a payload. A URL built
 * at run time (`wget $U`) finds no body and falls back to the fake transfer.
 */
type Target = { path: string; size: number; type: string; error?: string; failed?: FetchedUrl & { ok: false } };

function record(sh: ShellState, tool: string, url: string, path: string): void {
  if (sh.downloads.length < shellLimits.maxDownloads) sh.downloads.push({ tool, url: url.slice(0, 2048), path });
}

/** Saves what a fetch got (the real body, else a placeholder) at `target` in the fake FS. */
function fetchInto(sh: ShellState, tool: string, url: string, target: string): Target {
  const path = sh.resolve(target);
  record(sh, tool, url, path);
  const real = sh.fetched.get(url);
  if (real && !real.ok) return { path, size: 0, type: '', failed: real };
  const own = { uid: sh.user.uid, gid: sh.user.gid };
  let err;
  let size: number;
  let type = /\.sh$/.test(target) ? 'text/x-sh' : 'application/octet-stream';
  if (real) {
    if (sh.captured.length < shellLimits.maxDownloads)
      sh.captured.push({ channel: tool, source: url, path, content: real.body });
    size = real.body.length;
    type = real.contentType.split(';')[0] ?? type;
    err = sh.fs.writeFile(path, real.body, own);
  } else {
    size = shellLimits.fakeDownloadBytes;
    // A script name gets a script body (so ./x.sh "runs" silently); anything else an opaque blob.
    const body = /\.(sh|bash|pl|py)$/.test(path) ? placeholderScript() : undefined;
    err =
      body !== undefined
        ? sh.fs.writeFile(path, body, own)
        : (sh.fs.writeFile(path, '', own) ?? sh.fs.update(path, { size, content: undefined }));
  }
  return {
    path,
    size,
    type,
    ...(err ? { error: err === 'EACCES' ? 'Permission denied' : 'No space left on device' } : {}),
  };
}

/** The body of a faked script download; the session-end capture skips it (it is ours). */
export function placeholderScript(): string {
  return `#!/bin/sh\n${'#'.repeat(shellLimits.fakeDownloadBytes - 11)}\n`;
}

export function urlParts(raw: string): { url: string; host: string; port: number; file: string } | null {
  const withScheme = /^[a-z]+:\/\//i.test(raw) ? raw : `http://${raw}`;
  try {
    const u = new URL(withScheme);
    return {
      url: u.href,
      host: u.hostname,
      port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
      file: baseName(u.pathname) || 'index.html',
    };
  } catch {
    return null;
  }
}

const wgetValueFlags = new Set(['-O', '-P', '-o', '-a', '-U', '-T', '-t', '-e', '-w']);

export function wgetArgs(args: readonly string[]): { output?: string; quiet: boolean; urls: string[] } {
  let output: string | undefined;
  let quiet = false;
  const urls: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-O') output = args[++i];
    else if (wgetValueFlags.has(a)) i++;
    else if (a.startsWith('-O')) output = a.slice(2);
    else if (a.startsWith('--output-document=')) output = a.slice(18);
    else if (a === '-q' || a === '--quiet' || a === '-qO-') {
      quiet = true;
      if (a === '-qO-') output = '-';
    } else if (!a.startsWith('-')) urls.push(a);
  }
  return { ...(output !== undefined ? { output } : {}), quiet, urls };
}

const curlValueFlags = new Set([
  '-H',
  '-A',
  '-d',
  '-X',
  '-u',
  '-e',
  '-b',
  '-c',
  '-m',
  '-w',
  '-x',
  '-T',
  '-F',
  '-r',
  '-K',
  '-E',
  '--header',
  '--user-agent',
  '--data',
  '--data-binary',
  '--request',
  '--user',
  '--referer',
  '--cookie',
  '--max-time',
  '--connect-timeout',
  '--proxy',
  '--write-out',
  '--retry',
  '--form',
]);

export function curlArgs(args: readonly string[]): {
  output?: string;
  remoteName: boolean;
  silent: boolean;
  urls: string[];
} {
  let output: string | undefined;
  let remoteName = false;
  let silent = false;
  const urls: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-o' || a === '--output') output = args[++i];
    else if (a === '-O' || a === '--remote-name') remoteName = true;
    else if (curlValueFlags.has(a)) i++;
    else if (/^-[a-zA-Z]+$/.test(a)) {
      if (a.includes('s')) silent = true;
      if (a.includes('O')) remoteName = true;
      if (a.endsWith('o')) output = args[++i];
    } else if (!a.startsWith('-')) urls.push(a);
  }
  return { ...(output !== undefined ? { output } : {}), remoteName, silent, urls };
}

/** wget's words for a fetch that failed; its exit code (4 network, 8 server error). */
function wgetFailure(u: { host: string; port: number }, f: FetchedUrl & { ok: false }, io: Io): number {
  if (f.reason === 'dns') {
    io.err(
      `Resolving ${u.host} (${u.host})... failed: Name or service not known.\nwget: unable to resolve host address ‘${u.host}’\n`,
    );
    return 4;
  }
  if (f.reason === 'http-status') {
    io.err(`ERROR ${f.status ?? 500}: ${f.status === 404 ? 'Not Found' : 'Error'}.\n\n`);
    return 8;
  }
  io.err(
    `Connecting to ${u.host} (${u.host})|${f.address ?? u.host}|:${u.port}... failed: ${f.reason === 'timeout' ? 'Connection timed out' : 'Connection refused'}.\n`,
  );
  return 4;
}

export function wget(sh: ShellState, args: readonly string[], io: Io): number {
  const { output, quiet, urls } = wgetArgs(args);
  if (!urls.length) {
    io.err("wget: missing URL\nUsage: wget [OPTION]... [URL]...\n\nTry `wget --help' for more options.\n");
    return 1;
  }
  let code = 0;
  for (const raw of urls) {
    const u = urlParts(raw);
    if (!u) {
      io.err(`${raw}: Invalid URL ${raw}: Unsupported scheme\n`);
      code = 1;
      continue;
    }
    const stamp = new Date(sh.now()).toISOString().slice(0, 19).replace('T', ' ');
    const target = output ?? u.file;
    const log = (s: string) => (quiet ? undefined : io.err(s));
    log(`--${stamp}--  ${u.url}\n`);
    const real = sh.fetched.get(u.url);
    if (real && !real.ok) {
      record(sh, 'wget', u.url, target === '-' ? '-' : sh.resolve(target));
      code = quiet ? (real.reason === 'http-status' ? 8 : 4) : wgetFailure(u, real, io);
      continue;
    }
    log(`Connecting to ${u.host}:${u.port}... connected.\nHTTP request sent, awaiting response... 200 OK\n`);
    if (target === '-') {
      record(sh, 'wget', u.url, '-');
      const body = real?.ok ? real.body : '';
      if (real?.ok && sh.captured.length < shellLimits.maxDownloads)
        sh.captured.push({ channel: 'wget', source: u.url, path: '-', content: body });
      log(`Length: ${real?.ok ? body.length : 'unspecified'} [text/plain]\nSaving to: ‘STDOUT’\n\n`);
      io.out(body);
      log(`${stamp} (1.21 MB/s) - written to stdout [${body.length}]\n\n`);
      continue;
    }
    const r = fetchInto(sh, 'wget', u.url, target);
    log(`Length: ${r.size} (${(r.size / 1024).toFixed(0)}K) [${r.type}]\n`);
    if (r.error) {
      io.err(`${target}: ${r.error}\n`);
      code = 3;
      continue;
    }
    log(
      `Saving to: ‘${target}’\n\n${target.slice(0, 18).padEnd(18)} 100%[===================>]   ${(r.size / 1024).toFixed(2)}K  --.-KB/s    in 0s      \n\n${stamp} (38.2 MB/s) - ‘${target}’ saved [${r.size}/${r.size}]\n\n`,
    );
  }
  return code;
}

function curlFailure(u: { host: string; port: number }, f: FetchedUrl & { ok: false }, io: Io): number {
  if (f.reason === 'dns') return (io.err(`curl: (6) Could not resolve host: ${u.host}\n`), 6);
  if (f.reason === 'http-status') return 0;
  if (f.reason === 'timeout')
    return (
      io.err(`curl: (28) Failed to connect to ${u.host} port ${u.port} after 15000 ms: Timeout was reached\n`),
      28
    );
  io.err(`curl: (7) Failed to connect to ${u.host} port ${u.port} after 0 ms: Couldn't connect to server\n`);
  return 7;
}

export function curl(sh: ShellState, args: readonly string[], io: Io): number {
  const { output, remoteName, silent, urls } = curlArgs(args);
  if (!urls.length) {
    io.err("curl: try 'curl --help' or 'curl --manual' for more information\n");
    return 2;
  }
  for (const raw of urls) {
    const u = urlParts(raw);
    if (!u) {
      io.err(`curl: (3) URL using bad/illegal format or missing URL\n`);
      return 3;
    }
    const real = sh.fetched.get(u.url);
    const target = output ?? (remoteName ? u.file : undefined);
    if (real && !real.ok) {
      record(sh, 'curl', u.url, target === undefined ? '-' : sh.resolve(target));
      return curlFailure(u, real, io);
    }
    if (target === undefined || target === '-') {
      // To stdout: the body is the payload itself (`curl … | sh` runs it in this shell).
      record(sh, 'curl', u.url, '-');
      if (real?.ok) {
        if (sh.captured.length < shellLimits.maxDownloads)
          sh.captured.push({ channel: 'curl', source: u.url, path: '-', content: real.body });
        io.out(real.body);
      }
      continue;
    }
    const r = fetchInto(sh, 'curl', u.url, target);
    if (r.error) {
      io.err(
        `Warning: Failed to open the file ${target}: ${r.error}\ncurl: (23) Failure writing output to destination\n`,
      );
      return 23;
    }
    if (!silent)
      io.err(
        `  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n                                 Dload  Upload   Total   Spent    Left  Speed\n100  ${String(r.size).padStart(4)}  100  ${String(r.size).padStart(4)}    0     0  41237      0 --:--:-- --:--:-- --:--:-- 41237\n`,
      );
  }
  return 0;
}

export function tftp(sh: ShellState, args: readonly string[], io: Io): number {
  // busybox style: tftp -g -r file host [port]; or tftp host -c get file. Always a fake transfer.
  const get = args.indexOf('-r');
  const host = args.filter(
    (a, i) =>
      !a.startsWith('-') && args[i - 1] !== '-r' && args[i - 1] !== '-l' && a !== 'get' && args[i - 1] !== 'get',
  )[0];
  const file = get >= 0 ? args[get + 1] : args[args.indexOf('get') + 1];
  if (!host || !file) return usage(io, 'tftp', 'missing operand');
  const local = args.includes('-l') ? args[args.indexOf('-l') + 1]! : baseName(file);
  const r = fetchInto(sh, 'tftp', `tftp://${host}/${file}`, local);
  if (r.error) {
    io.err(`tftp: can't open '${local}': ${r.error}\n`);
    return 1;
  }
  return 0;
}
