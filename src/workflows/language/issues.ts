/**
 * A validation problem with the JSON path of what is wrong: the one shape every validator
 * (../../validation/issues.ts, with zod) and the workflow's own structure check report.
 */
export interface Issue {
  path: string;
  message: string;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };
