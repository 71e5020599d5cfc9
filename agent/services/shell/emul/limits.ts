/**
 * Every bound of one emulated shell session in one place. An attacker controls all input, so each
 * thing that can grow (files, output, history, expansion) has a ceiling; past it the shell answers
 * the way a full disk or a refused expansion would, never by growing.
 */
export const shellLimits = {
  /** Bytes of file content the session may add to the fake filesystem (its copy-on-write layer). */
  maxFsBytes: 1024 * 1024,
  /** Entries (files, directories, deletions) in the session's copy-on-write layer. */
  maxFsEntries: 2_000,
  /** Longest command line parsed; a longer one is cut there. */
  maxLineBytes: 8_192,
  /** Output of one command line (stdout and stderr together) before it is truncated. */
  maxOutputBytes: 256 * 1024,
  /** Commands in one pipeline and simple commands in one line. */
  maxPipeline: 16,
  maxCommandsPerLine: 512,
  /**
   * CPU time one line may take (ms): the shell runs on the service's event loop, so a line that
   * loops over big files must not stall the other deckies. Checked before each simple command.
   */
  maxLineMs: 250,
  /** Words after expansion (globbing can multiply them). */
  maxWords: 2_048,
  /** Lines `history` keeps (bash's HISTSIZE default is 500). */
  maxHistory: 500,
  /** Nesting of `$(...)`, `sh -c` and scripts run from the fake filesystem. */
  maxDepth: 4,
  /** Nested shell-function calls (bash's FUNCNEST is unlimited; a runaway recursion stops here). */
  maxCallDepth: 64,
  /** Environment variables and the size of one value. */
  maxVars: 256,
  maxVarBytes: 4_096,
  /** Downloads (wget/curl/tftp URLs) recorded per session. */
  maxDownloads: 64,
  /** Size of the placeholder file a fake download creates. */
  fakeDownloadBytes: 4_096,
} as const;
