import { shellLimits } from '../limits';
import { type CommandTable, type Io, type ShellState, usage } from '../types';
import { baseName } from '../vfs';

/**
 * Network commands. Interfaces and sockets come from the persona; wget, curl and tftp never touch
 * the network: they print a plausible transfer, create the file in the fake filesystem and record
 * the URL (the session hands it to the payload-capture step).
 */
function ifconfig(sh: ShellState, _args: readonly string[], io: Io): number {
  const f = sh.facts;
  io.out(
    `eth0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500\n        inet ${f.ip}  netmask 255.255.255.0  broadcast ${f.ip.replace(/\.\d+$/, '.255')}\n        inet6 fe80::5054:ff:${f.mac.slice(12, 14)}${f.mac.slice(15, 17)}:${f.mac.slice(9, 11)}  prefixlen 64  scopeid 0x20<link>\n        ether ${f.mac}  txqueuelen 1000  (Ethernet)\n        RX packets 1843211  bytes 1187325120 (1.1 GiB)\n        RX errors 0  dropped 0  overruns 0  frame 0\n        TX packets 934120  bytes 210332187 (200.5 MiB)\n        TX errors 0  dropped 0 overruns 0  carrier 0  collisions 0\n\n`,
  );
  io.out(
    'lo: flags=73<UP,LOOPBACK,RUNNING>  mtu 65536\n        inet 127.0.0.1  netmask 255.0.0.0\n        inet6 ::1  prefixlen 128  scopeid 0x10<host>\n        loop  txqueuelen 1000  (Local Loopback)\n        RX packets 5120  bytes 512000 (500.0 KiB)\n        RX errors 0  dropped 0  overruns 0  frame 0\n        TX packets 5120  bytes 512000 (500.0 KiB)\n        TX errors 0  dropped 0 overruns 0  carrier 0  collisions 0\n\n',
  );
  return 0;
}

function ip(sh: ShellState, args: readonly string[], io: Io): number {
  const f = sh.facts;
  const obj = args.find((a) => !a.startsWith('-')) ?? '';
  const gw = f.ip.replace(/\.\d+$/, '.1');
  if (/^a(d(d(r(e(ss?)?)?)?)?)?$/.test(obj)) {
    io.out(
      `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n    inet6 ::1/128 scope host noprefixroute \n       valid_lft forever preferred_lft forever\n`,
    );
    io.out(
      `2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000\n    link/ether ${f.mac} brd ff:ff:ff:ff:ff:ff\n    altname enp0s3\n    inet ${f.ip}/24 brd ${f.ip.replace(/\.\d+$/, '.255')} scope global eth0\n       valid_lft forever preferred_lft forever\n`,
    );
    return 0;
  }
  if (/^r(o(u(te?)?)?)?$/.test(obj)) {
    io.out(
      `default via ${gw} dev eth0 onlink \n${f.ip.replace(/\.\d+$/, '.0')}/24 dev eth0 proto kernel scope link src ${f.ip} \n`,
    );
    return 0;
  }
  if (/^l(i(nk?)?)?$/.test(obj)) {
    io.out(
      `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP mode DEFAULT group default qlen 1000\n    link/ether ${f.mac} brd ff:ff:ff:ff:ff:ff\n`,
    );
    return 0;
  }
  if (obj === '') {
    io.err('Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n       ip [ -force ] -batch filename\n');
    return 255;
  }
  io.err(`Object "${obj}" is unknown, try "ip help".\n`);
  return 255;
}

const listening = [
  ['tcp', '0.0.0.0:22', '0.0.0.0:*', 'sshd'],
  ['tcp', '127.0.0.1:25', '0.0.0.0:*', 'master'],
  ['tcp6', ':::22', ':::*', 'sshd'],
  ['udp', '0.0.0.0:68', '0.0.0.0:*', 'dhclient'],
] as const;

function netstat(sh: ShellState, args: readonly string[], io: Io): number {
  const flags = args.join('');
  const procs = flags.includes('p');
  io.out(`Active Internet connections (${flags.includes('l') ? 'only servers' : 'servers and established'})\n`);
  io.out(
    `Proto Recv-Q Send-Q Local Address           Foreign Address         State      ${procs ? ' PID/Program name    ' : ''}\n`,
  );
  for (const [proto, local, foreign, prog] of listening) {
    if (flags.includes('t') && !flags.includes('u') && proto === 'udp') continue;
    const state = proto === 'udp' ? '' : 'LISTEN';
    io.out(
      `${proto.padEnd(5)} ${'0'.padStart(6)} ${'0'.padStart(6)} ${local.padEnd(23)} ${foreign.padEnd(23)} ${state.padEnd(11)}${procs ? `${prog === 'sshd' ? 611 : 720}/${prog}` : ''}\n`,
    );
  }
  if (!flags.includes('l'))
    io.out(
      `tcp        0     52 ${`${sh.facts.ip}:22`.padEnd(23)} ${`${sh.env.get('SSH_CLIENT')?.split(' ')[0] ?? '10.0.0.23'}:51234`.padEnd(23)} ESTABLISHED\n`,
    );
  return 0;
}

function ss(sh: ShellState, args: readonly string[], io: Io): number {
  const flags = args.join('');
  const procs = flags.includes('p');
  io.out(`Netid State  Recv-Q Send-Q Local Address:Port  Peer Address:Port${procs ? 'Process' : ''}\n`);
  for (const [proto, local, foreign, prog] of listening) {
    if (flags.includes('t') && !flags.includes('u') && proto === 'udp') continue;
    const [addr, port] = [local.slice(0, local.lastIndexOf(':')), local.slice(local.lastIndexOf(':') + 1)];
    const netid = proto.startsWith('tcp') ? 'tcp' : 'udp';
    const pp = `${addr.replace(':::', '[::]')}:${port}`;
    io.out(
      `${netid.padEnd(5)} ${(netid === 'udp' ? 'UNCONN' : 'LISTEN').padEnd(6)} 0      ${netid === 'udp' ? '0     ' : '128   '} ${pp.padStart(18)} ${foreign.replace(':::*', '[::]:*').padStart(18)}${procs ? `users:(("${prog}",pid=${prog === 'sshd' ? 611 : 720},fd=3))` : ''}\n`,
    );
  }
  void sh;
  return 0;
}

/** Records a fetch and drops a placeholder in the fake FS (what a real fetch would have written). */
function fetchInto(
  sh: ShellState,
  tool: string,
  url: string,
  target: string,
): { path: string; size: number; error?: string } {
  const path = sh.resolve(target);
  if (sh.downloads.length < shellLimits.maxDownloads) sh.downloads.push({ tool, url: url.slice(0, 2048), path });
  const size = shellLimits.fakeDownloadBytes;
  // A script name gets a script body (so ./x.sh "runs" silently); anything else an opaque blob.
  const body = /\.(sh|bash|pl|py)$/.test(path) ? `#!/bin/sh\n${'#'.repeat(size - 11)}\n` : undefined;
  const err =
    body !== undefined
      ? sh.fs.writeFile(path, body, { uid: sh.user.uid, gid: sh.user.gid })
      : (sh.fs.writeFile(path, '', { uid: sh.user.uid, gid: sh.user.gid }) ??
        sh.fs.update(path, { size, content: undefined }));
  return { path, size, ...(err ? { error: err === 'EACCES' ? 'Permission denied' : 'No space left on device' } : {}) };
}

function urlParts(raw: string): { url: string; host: string; port: number; file: string } | null {
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

function wget(sh: ShellState, args: readonly string[], io: Io): number {
  let output: string | undefined;
  let quiet = false;
  const urls: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-O') output = args[++i];
    else if (a.startsWith('-O')) output = a.slice(2);
    else if (a.startsWith('--output-document=')) output = a.slice(18);
    else if (a === '-q' || a === '--quiet' || a === '-qO-') {
      quiet = true;
      if (a === '-qO-') output = '-';
    } else if (a === '-P') i++;
    else if (!a.startsWith('-')) urls.push(a);
  }
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
    log(
      `--${stamp}--  ${u.url}\nConnecting to ${u.host}:${u.port}... connected.\nHTTP request sent, awaiting response... 200 OK\n`,
    );
    if (target === '-') {
      if (sh.downloads.length < shellLimits.maxDownloads) sh.downloads.push({ tool: 'wget', url: u.url, path: '-' });
      log(`Length: unspecified [text/plain]\nSaving to: ‘STDOUT’\n\n${stamp} (1.21 MB/s) - written to stdout [0]\n\n`);
      continue;
    }
    const r = fetchInto(sh, 'wget', u.url, target);
    const type = /\.sh$/.test(target) ? 'text/x-sh' : 'application/octet-stream';
    log(`Length: ${r.size} (${(r.size / 1024).toFixed(0)}K) [${type}]\n`);
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

function curl(sh: ShellState, args: readonly string[], io: Io): number {
  let output: string | undefined;
  let remoteName = false;
  let silent = false;
  const urls: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-o' || a === '--output') output = args[++i];
    else if (a === '-O' || a === '--remote-name') remoteName = true;
    else if (/^-[a-zA-Z]+$/.test(a)) {
      if (a.includes('s')) silent = true;
      if (a.includes('O')) remoteName = true;
      if (a.endsWith('o')) output = args[++i];
    } else if (!a.startsWith('-')) urls.push(a);
  }
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
    const target = output ?? (remoteName ? u.file : undefined);
    if (target === undefined) {
      // To stdout: the body would be the payload itself; record it and print nothing.
      if (sh.downloads.length < shellLimits.maxDownloads) sh.downloads.push({ tool: 'curl', url: u.url, path: '-' });
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

function tftp(sh: ShellState, args: readonly string[], io: Io): number {
  // busybox style: tftp -g -r file host [port]; or tftp host -c get file
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

export const netCommands: CommandTable = {
  ifconfig,
  ip,
  netstat,
  ss,
  wget,
  curl,
  tftp,
  ping: (_sh, args, io) => {
    const host = args.filter((a) => !a.startsWith('-') && !/^\d+$/.test(a)).pop();
    if (!host) return (io.err('ping: usage error: Destination address required\n'), 1);
    io.out(
      `PING ${host} (${host}) 56(84) bytes of data.\n\n--- ${host} ping statistics ---\n1 packets transmitted, 0 received, 100% packet loss, time 0ms\n\n`,
    );
    return 1;
  },
};
