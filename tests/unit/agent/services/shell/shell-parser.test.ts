import { describe, expect, it } from 'vitest';
import { parse, ShellSyntaxError, tokenize } from '../../../../../agent/services/shell/emul/parser';
import { createMachine, outputText } from '../../../../../agent/services/shell/fake-shell';

const id = {
  user: 'root',
  hostname: 'web-01',
  kernel: '6.1.0-26-amd64',
  distro: 'debian',
  users: ['root', 'deploy'],
  seed: 'p',
} as const;

/** Runs lines in one exec-mode session; returns the last line's text and code. */
function sh(...lines: string[]) {
  const s = createMachine(id).open('exec');
  let last = s.run('');
  for (const l of lines) last = s.run(l);
  return { text: outputText(last), code: last.code, out: last };
}

describe('command-line parser', () => {
  it('splits and-or lists, pipelines and redirections', () => {
    const script = parse('a 1 | b >> f 2>&1 && c || d; e &');
    expect(script).toHaveLength(2);
    expect(script[0]!.first.cmds).toHaveLength(2);
    expect(script[0]!.rest.map((r) => r.op)).toEqual(['&&', '||']);
    expect(script[0]!.first.cmds[1]!.redirs.map((r) => [r.fd, r.op])).toEqual([
      [1, '>>'],
      [2, '>&'],
    ]);
  });

  it('keeps quoting per part and reads $VAR, ${VAR}, $? and $(…)', () => {
    const [t] = tokenize(`"a $HOME"'$x'\\$y$(echo hi)`);
    expect(t).toMatchObject({ k: 'word' });
    const parts = (t as { w: { t: string; q: boolean }[] }).w.map((p) => `${p.t}:${p.q}`);
    // `\$` is a quoted `$`, the `y` after it is unquoted.
    expect(parts).toEqual(['lit:true', 'var:true', 'lit:true', 'lit:false', 'sub:false']);
  });

  it('reports bash syntax errors', () => {
    expect(() => parse('echo "open')).toThrow(ShellSyntaxError);
    expect(() => parse('| ls')).toThrow("syntax error near unexpected token `|'");
    expect(() => parse('ls ;;')).toThrow("syntax error near unexpected token `;;'");
    expect(() => parse('esac')).toThrow("syntax error near unexpected token `esac'");
    expect(sh('echo "open')).toMatchObject({
      code: 2,
      text: 'bash: -c: line 1: unexpected EOF while looking for matching `"\'\nbash: -c: line 2: syntax error: unexpected end of file',
    });
  });

  it('quotes, escapes and variables expand as bash does', () => {
    expect(sh(`echo 'a  b' "c  d" e\\ \\ f`).text).toBe('a  b c  d e  f');
    expect(sh('X="1 2"; echo $X "$X" \'$X\'').text).toBe('1 2 1 2 $X');
    expect(sh('false; echo $?; true; echo $?').text).toBe('1\n0');
    expect(sh('echo $(echo a; echo b) `whoami`').text).toBe('a b root');
    // An unset unquoted variable vanishes; a quoted one is an empty argument (hence the last space).
    expect(sh('echo ${HOME}/x $UNSET. "$UNSET"').text).toBe('/root/x . ');
  });

  it('&&, || and ; follow exit codes; ! negates', () => {
    expect(sh('false && echo no || echo yes; echo end').text).toBe('yes\nend');
    expect(sh('! false && echo negated').text).toBe('negated');
    expect(sh('nosuch; echo $?').text).toBe('bash: line 1: nosuch: command not found\n127');
  });

  it('pipes stdout (not stderr) into the next command', () => {
    expect(sh('printf "b\\na\\nb\\n" | sort | uniq | wc -l').text).toBe('2');
    expect(sh('cat /nope | wc -l').text).toBe('cat: /nope: No such file or directory\n0');
  });

  it('redirects into the fake filesystem in order', () => {
    expect(sh('echo one > /tmp/f; echo two >> /tmp/f; cat /tmp/f').text).toBe('one\ntwo');
    expect(sh('cat /nope 2>/dev/null; echo $?').text).toBe('1');
    expect(sh('cat /nope > /tmp/e 2>&1; cat /tmp/e').text).toBe('cat: /nope: No such file or directory');
    expect(sh('wc -l < /etc/hostname').text).toBe('1');
    expect(sh('echo x > /nodir/f').text).toBe('bash: line 1: /nodir/f: No such file or directory');
  });

  it('globs unquoted patterns against the fake filesystem; no match stays literal', () => {
    expect(sh('cd /etc; echo host*').text).toBe('hostname hosts');
    expect(sh('echo /etc/pass?d "/etc/*"').text).toBe('/etc/passwd /etc/*');
    expect(sh('ls /tmp/*.nothing').text).toBe("ls: cannot access '/tmp/*.nothing': No such file or directory");
    expect(sh('cd ~; echo *').text).toBe('*');
    expect(sh('cd ~; echo .b*').text).toBe('.bash_history .bashrc');
  });

  it('( … ) is a subshell: cwd and variables stay inside, output and redirections work', () => {
    expect(sh('(cd /tmp; X=1; pwd); pwd; echo "[$X]"').text).toBe('/tmp\n/root\n[]');
    expect(sh('(echo a; echo b) | wc -l').text).toBe('2');
    expect(sh('(exit 3); echo $?').text).toBe('3');
    expect(sh('(echo a) b').text).toBe("bash: -c: line 1: syntax error near unexpected token `b'");
  });

  it('for, while, until and if run as bash runs them', () => {
    expect(sh('for i in 1 2 3; do echo n$i; done').text).toBe('n1\nn2\nn3');
    expect(sh('for f in /etc/host*; do echo $f; done | wc -l').text).toBe('2');
    expect(sh('if [ -f /etc/passwd ]; then echo yes; else echo no; fi').text).toBe('yes');
    expect(sh('if false; then echo a; elif true; then echo b; fi').text).toBe('b');
    expect(sh('for x in $(seq 1 3); do mkdir /tmp/d$x; done; ls /tmp').text).toBe('d1\nd2\nd3');
    expect(sh('n=0; until [ -d /tmp/stop ]; do mkdir /tmp/stop; echo once; done').text).toBe('once');
    expect(sh('if true; then fi').text).toBe("bash: -c: line 1: syntax error near unexpected token `fi'");
    expect(sh('done').text).toBe("bash: -c: line 1: syntax error near unexpected token `done'");
  });

  it('an endless loop stops at the per-line command budget instead of hanging', () => {
    const out = sh('while true; do echo x; done; echo after');
    expect(out.text.split('\n').filter((l) => l === 'x').length).toBeLessThanOrEqual(512);
    expect(out.text).toContain('fork: retry: Resource temporarily unavailable');
  });

  it('on a pty an unfinished line continues at PS2 and runs as one command; ^C drops it', () => {
    const pty = createMachine(id).open('shell');
    expect(pty.run('echo "a').chunks).toEqual([]);
    expect(pty.prompt()).toBe('> ');
    expect(outputText(pty.run('b"'))).toBe('a\nb');
    expect(pty.prompt()).toBe('root@web-01:~# ');
    pty.run('for i in 1 2');
    pty.run('do echo n$i');
    expect(outputText(pty.run('done'))).toBe('n1\nn2');
    pty.run('echo one \\');
    expect(outputText(pty.run('two'))).toBe('one two');
    pty.run("echo 'never");
    pty.cancel();
    expect(pty.prompt()).toBe('root@web-01:~# ');
    expect(outputText(pty.run('history 4'))).toBe(
      '    1  echo "a\nb"\n    2  for i in 1 2\ndo echo n$i\ndone\n    3  echo one two\n    4  history 4',
    );
  });

  it('VAR=x cmd sets the variable for that command only; VAR=x alone sets it', () => {
    expect(sh('A=1 printenv A; echo "[$A]"').text).toBe('1\n[]');
    expect(sh('A=1; echo $A').text).toBe('1');
  });
});
