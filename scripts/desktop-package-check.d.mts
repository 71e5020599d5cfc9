// Types for the tests: the script itself is plain JS so `npm run package` needs no compiler.
export declare const SPAWNED_SCRIPTS: readonly string[];
export declare const REQUIRED_OUTPUTS: readonly string[];
export declare function loadBuilderConfig(root: string): unknown;
export declare function bareImports(source: string): string[];
export declare function dependencyClosure(
  root: string,
  names: readonly string[],
): { packages: string[]; missing: string[] };
export declare function checkDesktopPackage(opts: { root: string; config?: unknown }): Promise<string[]>;
