/**
 * Request bodies may not carry keys that MongoDB reads as operators (`$gt`) or paths
 * (`a.b`). mongoose's sanitizeFilter covers query filters; this covers everything else,
 * before mongoose sees the body at all.
 */
export interface KeyIssue {
  path: string;
  message: string;
}

export function unsafeKeys(value: unknown, path = '', issues: KeyIssue[] = []): KeyIssue[] {
  if (Array.isArray(value)) {
    value.forEach((item, i) => unsafeKeys(item, `${path}[${i}]`, issues));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const childPath = path ? `${path}.${key}` : key;
      if (key.startsWith('$') || key.includes('.') || key.includes('\u0000')) {
        issues.push({ path: childPath, message: 'keys may not start with "$" or contain "."' });
      } else {
        unsafeKeys(child, childPath, issues);
      }
    }
  }
  return issues;
}
