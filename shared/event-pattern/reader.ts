/**
 * Reads an event's values at a fixed set of paths, with code generated for those paths: one
 * small function per path segment that reads its named children directly, so V8 sees plain
 * property loads instead of a walk over every key. Dotted keys in the event ("state.status")
 * still meet nested keys in patterns, as in EventBridge.
 */

export type LeafValue = string | number | boolean | null;

/** A node of the tree of tested paths. */
export interface PathNode {
  readonly children: Map<string, PathNode>;
  /** Where values at this exact path go; -1 when no pattern tests this path. */
  slot: number;
}

/**
 * What the last event read holds at each tested path (slot): `count[slot]` values in
 * `values[slot]`, each with its array trail in `trails[slot]` ((array id, element index) pairs,
 * outermost first; empty outside arrays). A slot counts only if `filledFor[slot] === event`, so
 * nothing is cleared between events and the arrays are reused.
 */
export interface EventSlots {
  event: number;
  readonly filledFor: number[];
  readonly count: number[];
  readonly values: LeafValue[][];
  readonly trails: (readonly number[])[][];
}

export type EventReader = (event: unknown) => void;

const noTrail: readonly number[] = [];

export function compileReader(root: PathNode, slots: EventSlots): EventReader {
  const nodes: PathNode[] = [];
  const number = new Map<PathNode, number>();
  const collect = (node: PathNode): void => {
    number.set(node, nodes.length);
    nodes.push(node);
    for (const child of node.children.values()) collect(child);
  };
  collect(root);

  const functions = nodes.map((node, index) => {
    const reads = [...node.children].map(([key, child]) => {
      const literal = JSON.stringify(key);
      // A name that Object.prototype also has ("constructor") must be the event's own.
      const load = key in Object.prototype ? `(Object.hasOwn(v, ${literal}) ? v[${literal}] : undefined)` : `v[${literal}]`;
      return `c = ${load}; if (c !== undefined) n${number.get(child)}(c, t);`;
    });
    const leaf =
      node.slot >= 0
        ? `if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') { if (filledFor[${node.slot}] !== slots.event) { filledFor[${node.slot}] = slots.event; count[${node.slot}] = 0; } const n = count[${node.slot}]++; values[${node.slot}][n] = v; trails[${node.slot}][n] = t; }`
        : '';
    // A dotted key ("a.b") can only lead somewhere if a child has children of its own: only then
    // is every key of the object looked at.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: looking at every key finds the same values, only slower.
    const dottedKeysLead = [...node.children.values()].some((child) => child.children.size > 0);
    const scan = dottedKeysLead ? `for (const k in v) if (k.includes('.')) dotted(${index}, v[k], k, t);` : '';
    // Stryker disable next-line ConditionalExpression,StringLiteral: a node without children reads nothing either way.
    const object = node.children.size === 0 ? '' : `let c; ${reads.join(' ')} ${scan}`;
    return `function n${index}(v, t) {
      if (typeof v !== 'object' || v === null) { ${leaf} return; }
      if (Array.isArray(v)) { const id = arrays.next++; for (let i = 0; i < v.length; i++) n${index}(v[i], t.length === 0 ? [id, i] : [...t, id, i]); return; }
      ${object}
    }`;
  });
  // Stryker disable next-line StringLiteral: the functions are valid one after the other with any separator.
  const body = functions.join('\n');
  const source = `"use strict";
    const { filledFor, count, values, trails } = slots;
    ${body}
    const table = [${nodes.map((_, index) => `n${index}`).join(', ')}];
    function dotted(from, value, key, t) {
      const target = descend(from, key);
      if (target >= 0) table[target](value, t);
    }
    return function read(event) { slots.event++; arrays.next = 0; n0(event, noTrail); };`;
  // Stryker disable next-line ObjectLiteral: every read starts the count at 0.
  const arrays = { next: 0 };
  const descend = (from: number, key: string): number => {
    let at: PathNode | undefined = nodes[from];
    for (const segment of key.split('.')) {
      // Stryker disable next-line OptionalChaining: the loop returns before `at` is undefined.
      at = at?.children.get(segment);
      // Stryker disable next-line ConditionalExpression: without this, the next step finds no node either, and -1 is returned below.
      if (at === undefined) return -1;
    }
    return number.get(at as PathNode) ?? -1;
  };
  return new Function('slots', 'arrays', 'descend', 'noTrail', source)(slots, arrays, descend, noTrail) as EventReader;
}
