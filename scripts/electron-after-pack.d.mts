// Types for the tests: electron-builder loads the plain JS hook.
export declare const fuseConfig: Readonly<Record<number, boolean>> & {
  readonly version: string;
  readonly strictlyRequireAllFuses: boolean;
};
export type AfterPackContext = Readonly<{
  appOutDir: string;
  electronPlatformName: string;
  arch: number;
  packager: { appInfo: { productFilename: string }; executableName?: string };
}>;
export declare function packagedBinaryPath(context: AfterPackContext): string;
export default function afterPack(
  context: AfterPackContext,
  deps?: { flipFuses: (path: string, config: Record<string, unknown>) => Promise<unknown> },
): Promise<void>;
