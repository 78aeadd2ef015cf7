import type { Json, JsonResult } from './index.js';

export declare const TEST_KEY: string;
export declare function substitute(v: Json, saved: Map<string, Json>): Json;
/** `null` when `actual` matches `expected`, else the path and why. */
export declare function mismatch(path: string, expected: Json, actual: Json | undefined): string | null;
export declare function lookup(v: Json, path: string): Json | undefined;
export declare function caseFiles(dir: string): string[];

export interface RunOptions {
  /** The host a case runs on (default: a memory store, TEST_KEY, the clock pinned at `clock`). */
  create?: (clock: string) => {
    invoke(iface: string, fn: string, args: Json[]): JsonResult;
    clock: { set(at: string): void };
  };
}
/** Run a parsed case; returns its number of steps, throws on the first mismatch. */
export declare function runCase(kase: unknown, options?: RunOptions): number;
export declare function runCaseFile(file: string, options?: RunOptions): number;
