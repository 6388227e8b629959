/** Path helpers of the schedule validator; problems are collected with the canvas's Issues. */
export { Issues } from '../validation/issues';

/** `base` + `.field`, or just `field` at the top. */
export function at(base: string, field: string): string {
  return base === '' ? field : `${base}.${field}`;
}
