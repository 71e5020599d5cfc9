import { buildBase, type BaseLayer, type FsNode } from './vfs';
import { distroFacts, distroOf, userTable, type MachineFacts, type ShellIdentity } from './facts';
import { procFiles } from './proc-files';

/**
 * The read-only base layer of the fake filesystem, from the persona: /etc as the distro installs
 * it (os-release, passwd/group/shadow with the persona users, hostname, hosts), home directories
 * with the files a used account has, /proc answers from the same facts as uname/free/lscpu, and
 * the binaries `ls /bin` and `which` should find.
 */

const bashrc = `# ~/.bashrc: executed by bash(1) for non-login shells.

# If not running interactively, don't do anything
case $- in
    *i*) ;;
      *) return;;
esac

HISTCONTROL=ignoreboth
shopt -s histappend
HISTSIZE=1000
HISTFILESIZE=2000
shopt -s checkwinsize

if [ -x /usr/bin/dircolors ]; then
    test -r ~/.dircolors && eval "$(dircolors -b ~/.dircolors)" || eval "$(dircolors -b)"
    alias ls='ls --color=auto'
    alias grep='grep --color=auto'
fi

alias ll='ls -alF'
alias la='ls -A'
alias l='ls -CF'
`;

const profile = `# ~/.profile: executed by the command interpreter for login shells.
if [ -n "$BASH_VERSION" ]; then
    if [ -f "$HOME/.bashrc" ]; then
	. "$HOME/.bashrc"
    fi
fi

if [ -d "$HOME/bin" ] ; then
    PATH="$HOME/bin:$PATH"
fi
`;

const histories = {
  root: [
    'apt update',
    'apt upgrade -y',
    'systemctl status nginx',
    'df -h',
    'free -m',
    'tail -n 50 /var/log/syslog',
    'crontab -l',
    'vim /etc/ssh/sshd_config',
    'systemctl restart ssh',
    'exit',
  ],
  user: [
    'ls -la',
    'cd /var/www',
    'git pull',
    'sudo systemctl reload nginx',
    'tail -f /var/log/nginx/error.log',
    'htop',
    'df -h',
    'exit',
  ],
} as const;

export function buildPersonaBase(id: ShellIdentity, facts: MachineFacts, binaries: readonly string[]): BaseLayer {
  const distro = distroOf(id);
  const d = distroFacts[distro];
  const t0 = facts.bootMs - 200 * 86_400_000;
  const dir = (mode = 0o755, uid = 0, gid = uid): FsNode => ({ kind: 'dir', mode, uid, gid, mtime: t0 });
  const file = (content: string, mode = 0o644, uid = 0, gid = uid, mtime = t0): FsNode => ({
    kind: 'file',
    mode,
    uid,
    gid,
    mtime,
    content,
  });
  const users = userTable(id);
  const e: [string, FsNode][] = [['/', dir()]];
  for (const p of [
    'bin',
    'boot',
    'dev',
    'etc',
    'home',
    'lib',
    'lib64',
    'media',
    'mnt',
    'opt',
    'proc',
    'run',
    'sbin',
    'srv',
    'sys',
    'usr',
    'var',
  ])
    e.push([`/${p}`, dir(p === 'proc' || p === 'sys' ? 0o555 : 0o755)]);
  e.push(['/root', dir(0o700)], ['/tmp', dir(0o1777)], ['/var/tmp', dir(0o1777)], ['/dev/shm', dir(0o1777)]);
  e.push(['/lost+found', dir(0o700)], ['/var/log', dir()], ['/var/spool/cron/crontabs', dir(0o1730)]);
  for (const p of [
    '/usr/local/bin',
    '/usr/lib',
    '/usr/share',
    '/var/www/html',
    '/var/lib',
    '/var/cache',
    '/etc/cron.d',
    '/etc/ssh',
    '/etc/init.d',
  ])
    e.push([p, dir()]);
  // usrmerge (every persona distro but Alpine): /bin, /sbin, /lib, /lib64 are links into /usr.
  if (distro !== 'alpine')
    for (const p of ['bin', 'sbin', 'lib', 'lib64'])
      e.push([`/${p}`, { ...dir(0o777), link: `usr/${p}` }], [`/usr/${p}`, dir()]);

  const passwd = [
    ...users.filter((u) => u.uid === 0).map((u) => `root:x:0:0:root:/root:${u.shell}`),
    'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
    'bin:x:2:2:bin:/bin:/usr/sbin/nologin',
    'sys:x:3:3:sys:/dev:/usr/sbin/nologin',
    'sync:x:4:65534:sync:/bin:/bin/sync',
    'www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin',
    'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
    'sshd:x:104:65534::/run/sshd:/usr/sbin/nologin',
    ...users.filter((u) => u.uid !== 0).map((u) => `${u.name}:x:${u.uid}:${u.gid}:${u.name},,,:${u.home}:${u.shell}`),
  ];
  const group = [
    'root:x:0:',
    'daemon:x:1:',
    'adm:x:4:',
    `sudo:x:27:${users
      .filter((u) => u.uid !== 0)
      .map((u) => u.name)
      .join(',')}`,
    'www-data:x:33:',
    'nogroup:x:65534:',
    ...users.filter((u) => u.uid !== 0).map((u) => `${u.name}:x:${u.gid}:`),
  ];
  const hash = (u: string) =>
    `$y$j9T$${Buffer.from(`${id.seed ?? ''}${u}`)
      .toString('base64')
      .slice(0, 22)}$${Buffer.from(u + facts.mac)
      .toString('base64')
      .slice(0, 43)}`;
  const shadow = [
    `root:${hash('root')}:19800:0:99999:7:::`,
    'daemon:*:19800:0:99999:7:::',
    'www-data:*:19800:0:99999:7:::',
    ...users.filter((u) => u.uid !== 0).map((u) => `${u.name}:${hash(u.name)}:19800:0:99999:7:::`),
  ];
  const short = id.hostname.split('.')[0] ?? id.hostname;
  e.push(
    ['/etc/passwd', file(passwd.join('\n') + '\n')],
    ['/etc/group', file(group.join('\n') + '\n')],
    ['/etc/shadow', file(shadow.join('\n') + '\n', 0o640, 0, 42)],
    ['/etc/hostname', file(`${short}\n`)],
    [
      '/etc/hosts',
      file(
        `127.0.0.1\tlocalhost\n127.0.1.1\t${id.hostname} ${short}\n\n::1     localhost ip6-localhost ip6-loopback\n`,
      ),
    ],
    ['/etc/os-release', file(d.osRelease)],
    ['/etc/resolv.conf', file('nameserver 1.1.1.1\nnameserver 8.8.8.8\n')],
    ['/etc/issue', file(`${d.lsbDescription} \\n \\l\n\n`)],
    ['/etc/shells', file('# /etc/shells: valid login shells\n/bin/sh\n/bin/bash\n/usr/bin/bash\n')],
    [
      '/etc/crontab',
      file(
        'SHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin\n\n17 *\t* * *\troot\tcd / && run-parts --report /etc/cron.hourly\n',
      ),
    ],
    [
      '/etc/ssh/sshd_config',
      file(
        'Include /etc/ssh/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\nUsePAM yes\nX11Forwarding yes\nPrintMotd no\nAcceptEnv LANG LC_*\nSubsystem\tsftp\t/usr/lib/openssh/sftp-server\n',
      ),
    ],
    [
      '/etc/fstab',
      file('UUID=3c1e5e1e-8a44-4c2b-9f7e-0b6d2e7c1a90 /               ext4    errors=remount-ro 0       1\n'),
    ],
    ['/var/log/auth.log', file('', 0o640, 0, 4)],
    ['/var/log/syslog', file('', 0o640, 0, 4)],
    ['/var/www/html/index.html', file('<html><body><h1>It works!</h1></body></html>\n')],
  );
  if (d.packageManager === 'apt')
    e.push(['/etc/debian_version', file(distro === 'debian' ? '12.7\n' : 'bookworm/sid\n')]);
  if (d.packageManager === 'yum' || d.packageManager === 'dnf')
    e.push(
      ['/etc/redhat-release', file(`${d.lsbDescription}\n`)],
      ['/etc/centos-release', file(`${d.lsbDescription}\n`)],
    );
  if (distro === 'alpine') e.push(['/etc/alpine-release', file(`${d.lsbRelease}\n`)]);

  for (const u of users) {
    e.push([u.home, dir(u.uid === 0 ? 0o700 : 0o750, u.uid, u.gid)]);
    const hist = (u.uid === 0 ? histories.root : histories.user).join('\n') + '\n';
    e.push(
      [`${u.home}/.bashrc`, file(bashrc, 0o644, u.uid, u.gid)],
      [`${u.home}/.profile`, file(profile, 0o644, u.uid, u.gid)],
      [`${u.home}/.bash_history`, file(hist, 0o600, u.uid, u.gid, facts.bootMs + 3_600_000)],
      [`${u.home}/.ssh`, dir(0o700, u.uid, u.gid)],
      [`${u.home}/.ssh/authorized_keys`, file('', 0o600, u.uid, u.gid)],
    );
  }
  for (const [path, content] of Object.entries(procFiles(id, facts)))
    e.push([path, { kind: 'file', mode: 0o444, uid: 0, gid: 0, mtime: Date.now(), content }]);
  for (const b of binaries) {
    const where = /^(ifconfig|ip|service|reboot|shutdown|sshd|useradd|iptables|route|arp)$/.test(b) ? 'sbin' : 'bin';
    const node: FsNode = {
      kind: 'file',
      mode: 0o755,
      uid: 0,
      gid: 0,
      mtime: t0,
      size: 20_000 + ((b.length * 7919) % 140_000),
    };
    // usrmerge: /bin is /usr/bin on every persona distro; both paths answer.
    e.push([`/usr/${where}/${b}`, node], [`/${where}/${b}`, node]);
  }
  return buildBase(e);
}
