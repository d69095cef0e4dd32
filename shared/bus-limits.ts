/**
 * What EventBridge's PutEvents refuses, so producers can refuse it first with a clear answer (and
 * the local bus refuses it too): at most 256 KB of entries per request (one entry included), and
 * JSON nested at most 1,000 levels deep.
 */
export const maxPutEventsBytes = 256 * 1024;
export const maxDetailDepth = 1000;

export interface EntryParts {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly Resources?: readonly string[];
  readonly Time?: unknown;
}

/** An entry's size as EventBridge counts it: Time 14 bytes, then the UTF-8 bytes of Source, DetailType, Detail and each resource. */
export function putEventsEntrySize(entry: EntryParts): number {
  return (
    (entry.Time === undefined ? 0 : 14) +
    Buffer.byteLength(entry.Source ?? '') +
    Buffer.byteLength(entry.DetailType ?? '') +
    Buffer.byteLength(entry.Detail ?? '') +
    (entry.Resources ?? []).reduce((sum, resource) => sum + Buffer.byteLength(resource), 0)
  );
}

/** How deeply a JSON text nests objects and arrays, counted without parsing it (so a hostile text cannot overflow the stack). */
export function jsonTextDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 92) index++;
      else if (char === 34) inString = false;
    } else if (char === 34) inString = true;
    else if (char === 123 || char === 91) deepest = Math.max(deepest, ++depth);
    else if (char === 125 || char === 93) depth--;
  }
  return deepest;
}

/**
 * How deeply a parsed value nests objects and arrays, and an upper bound on its JSON size in
 * bytes (each UTF-16 unit counted as 6 bytes, as a \uXXXX escape would be; separators generously), in one
 * iterative walk: a value thousands of levels deep does not overflow the stack.
 */
export function valueShape(value: unknown, depthLimit = Number.POSITIVE_INFINITY): { depth: number; maxBytes: number } {
  let deepest = 0;
  let maxBytes = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current === 'string') {
      maxBytes += current.length * 6 + 2;
      continue;
    }
    if (typeof current !== 'object' || current === null) {
      maxBytes += 24;
      continue;
    }
    deepest = Math.max(deepest, depth);
    if (deepest > depthLimit) return { depth: deepest, maxBytes };
    maxBytes += 2;
    for (const [key, child] of Object.entries(current)) {
      maxBytes += key.length * 6 + 4;
      stack.push([child, depth + 1]);
    }
  }
  return { depth: deepest, maxBytes };
}

/** Why EventBridge would refuse this event, in words, or nothing if it would take it. */
export function busLimitProblem(source: string, detailType: string, detail: unknown, addedBytes = 0): string | undefined {
  const shape = valueShape(detail, maxDetailDepth);
  if (shape.depth > maxDetailDepth) return `the event is nested more than ${maxDetailDepth} levels deep, which the event bus refuses`;
  // Serialised only when the bound says it might be too large: most events are far below it.
  const head = Buffer.byteLength(source) + Buffer.byteLength(detailType) + addedBytes;
  if (head + shape.maxBytes <= maxPutEventsBytes) return undefined;
  const size = putEventsEntrySize({ Source: source, DetailType: detailType, Detail: JSON.stringify(detail) }) + addedBytes;
  if (size > maxPutEventsBytes) return `the event would be ${size} bytes; the event bus takes at most ${maxPutEventsBytes}`;
  return undefined;
}
