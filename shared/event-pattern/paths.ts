/**
 * Dotted paths, built once and reused: the same string object for the same path makes the
 * map look-ups that follow cheap. Bounded, so events with ever-new keys cannot grow it forever.
 */
const childPaths = new Map<string, Map<string, string>>();
const maxCachedParents = 10_000;

export function childPath(parent: string, key: string): string {
  if (parent === '') return key;
  let children = childPaths.get(parent);
  // Stryker disable next-line ConditionalExpression: a cache; a fresh map gives the same path.
  if (children === undefined) {
    if (childPaths.size >= maxCachedParents) childPaths.clear();
    children = new Map();
    childPaths.set(parent, children);
  }
  let path = children.get(key);
  // Stryker disable next-line ConditionalExpression: a cache; building the text again gives the same path.
  if (path === undefined) {
    path = `${parent}.${key}`;
    children.set(key, path);
  }
  return path;
}

/** How many parents' paths are cached: never more than 10,000, whatever keys events bring. */
export function cachedParentCount(): number {
  return childPaths.size;
}
