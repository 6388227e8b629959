/** JSON-path helpers of the schedule validator (problems are collected in src/validation/issues.ts's Issues). */

/** `base` + `.field`, or just `field` at the top. */
export function at(base: string, field: string): string {
  return base === '' ? field : `${base}.${field}`;
}
