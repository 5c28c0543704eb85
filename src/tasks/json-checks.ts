/** Checks of a parsed JSON task definition's values; `fail` throws the one-line error naming the file. */
export type Json = unknown;
export type Fail = (what: string) => never;

export function obj(v: Json, at: string, fail: Fail): Record<string, Json> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(`${at} must be an object`);
  return v as Record<string, Json>;
}

export function str(v: Json, at: string, fail: Fail): string {
  if (typeof v !== 'string' || v === '') fail(`${at} must be a non-empty string`);
  return v as string;
}

export function strArr(v: Json, at: string, fail: Fail): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) fail(`${at} must be a list of strings`);
  return v as string[];
}

export function int(v: Json, at: string, fail: Fail): number {
  if (!Number.isInteger(v)) fail(`${at} must be an integer`);
  return v as number;
}

/** Data paths are relative, forward-slashed and stay inside the data folder. */
export function relPath(p: string, at: string, fail: Fail): void {
  if (p.startsWith('/') || p.includes('\\') || p.split('/').some((s) => s === '..' || s === '' || s === '.')) {
    fail(`${at}: "${p}" must be a relative path inside the data folder`);
  }
}
