// Types of scripts/start.mjs (imported by test/main/start.test.ts).
export declare const root: string;
export type ElectronLookup = { binary: string; error?: undefined; fetchable?: undefined } | { error: string; binary?: undefined; fetchable?: boolean };
export declare function findElectron(resolve?: () => unknown): ElectronLookup;
export type LaunchDecision = { mode: 'electron'; binary: string } | { mode: 'fetch' } | { mode: 'headless'; reason: string };
export declare function rootReason(env: Record<string, string | undefined>): string;
export declare function crashReason(signal: string, stderrTail: string): string;
export declare function decideLaunch(input: {
  env: Record<string, string | undefined>;
  platform: string;
  uid: number;
  headlessFlag: boolean;
  electron: ElectronLookup;
}): LaunchDecision;
export declare function requiredOutputs(dir?: string, platform?: string): string[];
export declare function buildReason(dir?: string, platform?: string): string | null;
export declare function parseArgs(argv: string[]): { headless: boolean; build: boolean; serveArgs: string[] };
export declare function headlessLine(reason: string): string;
export declare function main(
  argv?: string[],
  deps?: {
    log?: (line: string) => void;
    env?: Record<string, string | undefined>;
    platform?: string;
    uid?: number;
    findElectron?: () => ElectronLookup;
    /** Fetches the binary; resolves with why it failed, or null. */
    fetchElectron?: (log: (line: string) => void, env: Record<string, string | undefined>) => Promise<string | null>;
  },
): Promise<number>;
