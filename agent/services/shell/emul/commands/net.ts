import { type CommandTable, type Io, type ShellState } from '../types';
import { curl, tftp, wget } from './fetch';

/**
 * Network commands. Interfaces and sockets come from the persona; wget, curl and tftp are in
 * fetch.ts.
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
