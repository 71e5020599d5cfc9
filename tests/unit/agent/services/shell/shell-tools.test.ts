import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createMachine, outputText, type ShellIdentity } from '../../../../../agent/services/shell/fake-shell';

/** The commands of cowrie's list added last (tools.ts), against the real tools where Debian has them. */
const id: ShellIdentity = {
  user: 'root',
  hostname: 'srv-app-03',
  kernel: '6.1.0-26-amd64',
  distro: 'debian',
  users: ['root', 'deploy'],
  ip: '10.1.2.3',
  seed: 'tools',
};

function session() {
  const s = createMachine(id).open('exec');
  return (line: string) => {
    const out = s.run(line);
    return { text: outputText(out), code: out.code, exited: out.exit, downloads: out.downloads };
  };
}

/** The real tool's output (stdout and stderr) in the C.UTF-8 locale of a stock login. */
function real(script: string): { text: string; code: number } {
  const r = spawnSync('bash', ['-c', script], {
    encoding: 'utf8',
    env: { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
    cwd: '/tmp',
  });
  return { text: (r.stdout + r.stderr).replace(/\n$/, ''), code: r.status ?? -1 };
}
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

describe('emulated tools', () => {
  it('gcc answers like the real driver for no input and a missing source, and builds an executable ELF otherwise', () => {
    const sh = session();
    for (const line of ['gcc', 'gcc nofile.c -o x', 'gcc --version'])
      if (has('gcc')) expect(sh(line).text, line).toBe(real(line).text);
    expect(sh('gcc').code).toBe(1);
    sh("echo 'int main(){return 0;}' > /tmp/e.c");
    expect(sh('gcc /tmp/e.c -o /tmp/e').code).toBe(0);
    expect(sh('ls -l /tmp/e').text).toMatch(/^-rwxr-xr-x 1 root root \d+ /);
    expect(sh('cat /tmp/e').text.startsWith('\x7fELF')).toBe(true);
    // Built for this machine: it starts, and crashes as an exploit for another kernel does.
    const crash = sh('/tmp/e -v');
    expect(crash.code).toBe(139);
    expect(crash.text).toMatch(/^bash: line 1: \d+ Segmentation fault {6}\/tmp\/e -v$/);
  });

  it('git clone fails to reach its remote the way git does, and records the URL', () => {
    const sh = session();
    const line = 'git clone https://example.invalid/x/y.git';
    const ours = sh(line);
    expect(ours.code).toBe(128);
    expect(ours.downloads).toEqual([{ tool: 'git', url: 'https://example.invalid/x/y.git', path: '/root/y' }]);
    // The real one needs DNS to fail; it does for .invalid names everywhere.
    if (has('git')) expect(ours.text).toBe(real(`cd $(mktemp -d) && ${line}`).text);
    expect(sh('git --version').text).toMatch(/^git version 2\.\d+\.\d+$/);
    expect(sh('git status').text).toBe('fatal: not a git repository (or any of the parent directories): .git');
  });

  it('help, chgrp and fgrep say what bash and coreutils say', () => {
    const sh = session();
    expect(sh('help nosuch').text).toBe(real('help nosuch').text);
    expect(sh('help cd').text.split('\n').slice(0, 2)).toEqual(real('help cd').text.split('\n').slice(0, 2));
    for (const line of ['chgrp', 'chgrp nosuchgroup /tmp', 'chgrp root /nonexist']) {
      expect(sh(line).text, line).toBe(real(line).text);
      expect(sh(line).code, line).toBe(real(line).code);
    }
    sh('printf "a.b\\naxb\\n" > /tmp/g');
    expect(sh('fgrep a.b /tmp/g').text).toBe('a.b');
  });

  it('locate finds paths of the session filesystem, the attacker’s files included', () => {
    const sh = session();
    sh('touch /tmp/payload-x');
    expect(sh('locate payload-x').text).toBe('/tmp/payload-x');
    expect(sh('locate passwd').text.split('\n')).toContain('/etc/passwd');
    expect(sh('locate no-such-thing-anywhere').code).toBe(1);
  });

  it('break and continue (with levels) leave loops as bash does; outside a loop they only complain', () => {
    const sh = session();
    for (const line of [
      'for i in 1 2 3; do echo $i; break; done; echo after',
      'for i in 1 2; do for j in a b; do echo $i$j; continue 2; done; done',
      'while true; do echo x; break; done; echo out',
      'for i in 1 2 3; do continue; echo no; done; echo end',
      'for i in 1 2 3; do echo $i; break 5; done; echo after',
      'break; echo rc=$?',
      'for i in 1 2; do break 0; done; echo rc=$?',
    ])
      // real() puts stderr after stdout; ours interleaves them, so the lines are compared as a set.
      expect(sh(line).text.split('\n').sort(), line).toEqual(real(line).text.split('\n').sort());
  });

  it('$(( )) arithmetic gives what bash gives, errors included', () => {
    for (const line of [
      'echo $((1+2*3)) $(( (1+2)*3 )) $((7/2)) $((7%3)) $((-5/2)) $((2**10)) $((1<<4)) $((0x1f)) $((010))',
      'i=0; while [ $i -lt 3 ]; do i=$((i+1)); echo n$i; done',
      'a=5; b=3; echo $((a>b ? a : b)) $(($a-$b)) $((a==5 && b!=3)) $((!0)) $((~0))',
      'echo $((nosuch+1)) $((9223372036854775807+1))',
      'echo $((1/0)); echo rc=$?',
      'echo "sum: $((2+2))"',
    ])
      expect(session()(line).text.split('\n').sort(), line).toEqual(real(line).text.split('\n').sort());
  });

  it('functions, case and { } groups run as bash runs them', () => {
    for (const line of [
      'f() { echo "in f: $1 $2 ($#)"; }; f a b; f',
      'function g { echo g:$@; return 3; echo no; }; g x y; echo rc=$?',
      'h() { for i in 1 2 3; do [ $i = 2 ] && return 7; echo $i; done; }; h; echo rc=$?',
      'case linux in win*) echo w;; lin*|mac) echo l;; *) echo other;; esac',
      'x=arm7; case $x in x86) echo intel ;; arm*) echo arm ;; esac; echo done',
      'case foo in bar) echo no;; esac; echo rc=$?',
      '{ echo a; echo b; } > /tmp/ab; cat /tmp/ab',
      'return 3; echo rc=$?',
      'arch=$(uname -m); case $arch in x86_64) echo 64;; *) echo ?;; esac',
    ])
      expect(session()(line).text.split('\n').sort(), line).toEqual(real(line).text.split('\n').sort());
  });

  it('a function calling itself forever is bounded, not a hang or a stack overflow', () => {
    const r = session()('f() { f; }; f; echo after');
    expect(r.text).toContain('maximum function nesting level exceeded');
  });

  it('killall5 -9 as root ends the session, as it kills the shell too', () => {
    const sh = session();
    expect(sh('killall5 -9').exited).toBe(true);
  });
});
