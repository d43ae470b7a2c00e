/** IAM-style wildcard match (`*` any run, `?` one character), case-insensitive as IAM actions are. */
export function matchesIamPattern(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(value);
}
