/**
 * The one home of validation problems: each with the JSON path of what is wrong. The
 * canvas validator, the schedule validator and the API's problem details all use these.
 */
import type { z } from 'zod';
import type { Issue, Validation } from '../workflows/language/issues';

export type { Issue, Validation };

/** Enough to fix a request; a canvas with thousands of bad items need not list all. */
const MAX_ISSUES = 100;

/** `base` followed by zod-style path segments: `canvas` + [`chain`, 2] → `canvas.chain[2]`. */
export function joinPath(base: string, segments: ReadonlyArray<PropertyKey>): string {
  let path = base;
  for (const s of segments) path += typeof s === 'number' ? `[${s}]` : path === '' ? String(s) : `.${String(s)}`;
  return path;
}

/** zod's issues as ours: paths joined under `base`, each unknown key named on its own. */
export function fromZod(error: z.ZodError, base: string): Issue[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: joinPath(base, [...issue.path, key]), message: 'is not a known field' }))
      : [{ path: joinPath(base, issue.path), message: issue.message }],
  );
}

/** Parses with a zod schema: its output, or every problem with its JSON path. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, base = ''): Validation<z.output<S>> {
  const parsed = schema.safeParse(value);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, issues: fromZod(parsed.error, base) };
}

/** Collects problems, each once (map items repeat the same ones), up to MAX_ISSUES. */
export class Issues {
  readonly list: Issue[] = [];
  private readonly seen = new Set<string>();

  add(path: string, message: string): void {
    const key = `${path}\n${message}`;
    if (this.list.length >= MAX_ISSUES || this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push({ path, message });
  }

  /** Runs a zod schema; records its problems under `path` and answers whether it passed. */
  check<T>(schema: z.ZodType<T>, value: unknown, path: string): value is T {
    const parsed = schema.safeParse(value);
    if (parsed.success) return true;
    for (const issue of fromZod(parsed.error, path)) this.add(issue.path, issue.message);
    return false;
  }

  get ok(): boolean {
    return this.list.length === 0;
  }
}
