/** Collects validation problems with their JSON paths, the way the canvas validator reports them. */
import type { z } from 'zod';
import { joinPath, type Issue } from '../canvas/validate';

export class Issues {
  readonly list: Issue[] = [];

  add(path: string, message: string): void {
    this.list.push({ path, message });
  }

  /** Runs a zod schema; records its problems under `path` and answers whether it passed. */
  check<T>(schema: z.ZodType<T>, value: unknown, path: string): value is T {
    const parsed = schema.safeParse(value);
    if (parsed.success) return true;
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) this.add(joinPath(path, [...issue.path, key]), 'is not a known field');
      } else {
        this.add(joinPath(path, issue.path), issue.message);
      }
    }
    return false;
  }

  get ok(): boolean {
    return this.list.length === 0;
  }
}

/** `base` + `.field`, or just `field` at the top. */
export function at(base: string, field: string): string {
  return base === '' ? field : `${base}.${field}`;
}
