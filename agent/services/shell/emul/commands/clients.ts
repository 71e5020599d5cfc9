import { type CommandTable, type Io, type ShellState } from '../types';

/**
 * Outbound clients and archive tools. nc, ssh and scp answer "Connection refused" and never open
 * a socket (a decky must not become a pivot); tar and unzip find no archive in a fake download.
 */
const refused =
  (tool: string) =>
  (sh: ShellState, args: readonly string[], io: Io): number => {
    const host = args
      .filter((a) => !a.startsWith('-') && !/^\d+$/.test(a))[0]
      ?.replace(/^.*@/, '')
      .replace(/:.*$/, '');
    if (!host) {
      io.err(
        tool === 'nc'
          ? 'usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]\n'
          : `usage: ${tool} [-46AaCfGgKkMNnqsTtVvXxYy] destination [command [argument ...]]\n`,
      );
      return 1;
    }
    const port = tool === 'nc' ? (args.find((a) => /^\d+$/.test(a)) ?? '0') : '22';
    io.err(
      tool === 'nc'
        ? args.some((a) => a.includes('v'))
          ? `nc: connect to ${host} port ${port} (tcp) failed: Connection refused\n`
          : ''
        : `ssh: connect to host ${host} port 22: Connection refused\n`,
    );
    void sh;
    return tool === 'scp' ? 1 : tool === 'nc' ? 1 : 255;
  };

function archive(tool: 'tar' | 'unzip') {
  return (sh: ShellState, args: readonly string[], io: Io): number => {
    const file =
      args.filter((a) => !a.startsWith('-') && !/^[xcztvf]+$/.test(a))[0] ??
      (tool === 'tar' ? args[args.findIndex((a) => /f/.test(a) && !a.includes('/')) + 1] : undefined);
    if (!file) {
      io.err(
        tool === 'tar'
          ? "tar: You must specify one of the '-Acdtrux', '--delete' or '--test-label' options\nTry 'tar --help' or 'tar --usage' for more information.\n"
          : 'UnZip 6.00 of 20 April 2009, by Debian. Original by Info-ZIP.\n',
      );
      return tool === 'tar' ? 2 : 0;
    }
    if (!sh.fs.stat(sh.resolve(file))) {
      io.err(
        tool === 'tar'
          ? `tar: ${file}: Cannot open: No such file or directory\ntar: Error is not recoverable: exiting now\n`
          : `unzip:  cannot find or open ${file}, ${file}.zip or ${file}.ZIP.\n`,
      );
      return tool === 'tar' ? 2 : 9;
    }
    // Fake downloads hold no real archive: the tools' answer for a file that is not one.
    io.err(
      tool === 'tar'
        ? 'tar: This does not look like a tar archive\ntar: Exiting with failure status due to previous errors\n'
        : `Archive:  ${file}\n  End-of-central-directory signature not found.\n`,
    );
    return 2;
  };
}

export const clientCommands: CommandTable = {
  nc: refused('nc'),
  ssh: refused('ssh'),
  scp: refused('scp'),
  tar: archive('tar'),
  unzip: archive('unzip'),
};
