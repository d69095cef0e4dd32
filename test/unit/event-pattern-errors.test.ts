import { compilePattern, matches } from '#shared/event-pattern/index.js';

/**
 * A marketer's mistake in a rule's pattern is refused with where it is and what to write instead,
 * word for word: the message is what `nudge rules validate` and the editor show.
 */
describe('invalid event patterns, each with its place and reason', () => {
  it.each([
    ['not an object', ['x'], '', 'an event pattern must be a JSON object'],
    ['null', null, '', 'an event pattern must be a JSON object'],
    ['no field', {}, '', 'an event pattern must have at least one field'],
    ['an empty nested object', { detail: {} }, 'detail', 'an object in a pattern must have at least one field'],
    ['a bare value', { detail: { source: 'x' } }, 'detail.source', 'a field in a pattern must be an array of values or an object, such as ["value"]'],
    ['$or not a list', { $or: { a: ['b'] } }, '$or', '"$or" must be an array of at least two patterns'],
    ['$or with one alternative', { $or: [{ a: ['b'] }] }, '$or', '"$or" must be an array of at least two patterns'],
    ['$or with an empty alternative', { $or: [{ a: ['b'] }, {}] }, '$or[1]', 'each "$or" alternative must be a non-empty object'],
    ['$or with a list for an alternative', { detail: { $or: [{ a: ['b'] }, ['c']] } }, 'detail.$or[1]', 'each "$or" alternative must be a non-empty object'],
    ['an empty list', { source: [] }, 'source', 'an array of values in a pattern must not be empty'],
    ['a list in a list', { source: [['a']] }, 'source[0]', 'a value must be a string, number, boolean, null or an operator object'],
    ['two operators', { source: [{ prefix: 'a', suffix: 'b' }] }, 'source[0]', 'an operator object must have exactly one operator, such as { "prefix": "a" }'],
    ['no operator', { source: [{}] }, 'source[0]', 'an operator object must have exactly one operator, such as { "prefix": "a" }'],
    ['exists as text', { s: [{ exists: 'yes' }] }, 's[0].exists', '"exists" must be true or false'],
    [
      'an unknown operator',
      { s: [{ contains: 'x' }] },
      's[0]',
      'unknown operator "contains"; use prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, cidr or exists',
    ],
    ['prefix of a number', { s: [{ prefix: 1 }] }, 's[0].prefix', '"prefix" must be a string'],
    ['suffix of another operator', { s: [{ suffix: { wildcard: 'a' } }] }, 's[0].suffix', '"suffix" takes a string or { "equals-ignore-case": string }'],
    [
      'an empty prefix inside anything-but',
      { s: [{ 'anything-but': { prefix: '' } }] },
      's[0].anything-but.prefix',
      '"prefix" inside "anything-but" must not be empty',
    ],
    ['a bad escape', { s: [{ wildcard: 'a\\b' }] }, 's[0].wildcard', 'invalid escape at position 2: only \\* and \\\\ may be escaped'],
    ['consecutive wildcards', { s: [{ wildcard: 'a**' }] }, 's[0].wildcard', 'consecutive wildcard characters at position 2'],
    ['too many wildcards', { s: [{ wildcard: 'a*b*c*d*e*f*' }] }, 's[0].wildcard', 'rule is too complex: at most 5 wildcard characters per value'],
    ['numeric not a list', { n: [{ numeric: 5 }] }, 'n[0].numeric', '"numeric" takes operator and number pairs, such as [">", 0, "<=", 5]'],
    ['numeric empty', { n: [{ numeric: [] }] }, 'n[0].numeric', '"numeric" takes operator and number pairs, such as [">", 0, "<=", 5]'],
    ['numeric odd', { n: [{ numeric: ['>', 1, '<'] }] }, 'n[0].numeric', '"numeric" takes operator and number pairs, such as [">", 0, "<=", 5]'],
    [
      'numeric too long',
      { n: [{ numeric: ['>', 1, '<', 5, '=', 3] }] },
      'n[0].numeric',
      '"numeric" takes operator and number pairs, such as [">", 0, "<=", 5]',
    ],
    ['numeric unknown operator', { n: [{ numeric: ['!=', 1] }] }, 'n[0].numeric[0]', 'unknown numeric operator "!="; use =, <, <=, > or >='],
    ['numeric with a string', { n: [{ numeric: ['>', '1'] }] }, 'n[0].numeric[1]', '"numeric" needs a number after ">"'],
    [
      'numeric two lower bounds',
      { n: [{ numeric: ['>', 1, '>=', 2] }] },
      'n[0].numeric',
      '"numeric" with two conditions needs one lower (> or >=) and one upper (< or <=) bound',
    ],
    [
      'numeric two upper bounds',
      { n: [{ numeric: ['<', 1, '<=', 2] }] },
      'n[0].numeric',
      '"numeric" with two conditions needs one lower (> or >=) and one upper (< or <=) bound',
    ],
    [
      'numeric equals and a bound',
      { n: [{ numeric: ['=', 1, '<', 2] }] },
      'n[0].numeric',
      '"numeric" with two conditions needs one lower (> or >=) and one upper (< or <=) bound',
    ],
    ['numeric empty range', { n: [{ numeric: ['>', 5, '<', 1] }] }, 'n[0].numeric', '"numeric" lower bound must be below its upper bound'],
    ['numeric range of nothing', { n: [{ numeric: ['>', 5, '<', 5] }] }, 'n[0].numeric', '"numeric" lower bound must be below its upper bound'],
    ['numeric infinite', { n: [{ numeric: ['>', Number.POSITIVE_INFINITY] }] }, 'n[0].numeric[1]', 'numbers in a pattern must be finite'],
    ['a value not a number', { n: [Number.NaN] }, 'n[0]', 'numbers in a pattern must be finite'],
    ['cidr without prefix', { ip: [{ cidr: '10.0.0.0' }] }, 'ip[0].cidr', 'malformed CIDR "10.0.0.0": expected address/prefix-length'],
    ['cidr not an address', { ip: [{ cidr: 'ten/8' }] }, 'ip[0].cidr', 'malformed CIDR "ten/8": "ten" is not an IP address'],
    ['cidr prefix too long (IPv4)', { ip: [{ cidr: '10.0.0.0/33' }] }, 'ip[0].cidr', 'malformed CIDR "10.0.0.0/33": prefix length out of range'],
    ['cidr prefix too long (IPv6)', { ip: [{ cidr: '::1/129' }] }, 'ip[0].cidr', 'malformed CIDR "::1/129": prefix length out of range'],
    ['cidr not a string', { ip: [{ cidr: 10 }] }, 'ip[0].cidr', '"cidr" must be a string such as "10.0.0.0/24"'],
    ['anything-but empty list', { s: [{ 'anything-but': [] }] }, 's[0].anything-but', '"anything-but" list must not be empty'],
    ['anything-but mixing types', { s: [{ 'anything-but': ['a', 1] }] }, 's[0].anything-but', '"anything-but" list must hold only strings or only numbers'],
    [
      'anything-but two operators',
      { s: [{ 'anything-but': { prefix: 'a', suffix: 'b' } }] },
      's[0].anything-but',
      '"anything-but" object must have exactly one operator',
    ],
    [
      'anything-but empty operator list',
      { s: [{ 'anything-but': { prefix: [] } }] },
      's[0].anything-but.prefix',
      '"anything-but" "prefix" list must not be empty',
    ],
    [
      'anything-but prefix list with an object',
      { s: [{ 'anything-but': { prefix: ['a', { x: 1 }] } }] },
      's[0].anything-but.prefix[1]',
      '"anything-but" "prefix" must be a string',
    ],
    [
      'anything-but equals-ignore-case of a number',
      { s: [{ 'anything-but': { 'equals-ignore-case': 1 } }] },
      's[0].anything-but.equals-ignore-case',
      '"anything-but" "equals-ignore-case" must be a string',
    ],
    [
      'anything-but numeric',
      { s: [{ 'anything-but': { numeric: ['>', 1] } }] },
      's[0].anything-but.numeric',
      '"anything-but" does not support "numeric"; use prefix, suffix, wildcard or equals-ignore-case',
    ],
    [
      'anything-but true',
      { s: [{ 'anything-but': true }] },
      's[0].anything-but',
      '"anything-but" takes a string, a number, a list of either, or an operator object',
    ],
    ['equals-ignore-case of a number', { s: [{ 'equals-ignore-case': 1 }] }, 's[0].equals-ignore-case', '"equals-ignore-case" must be a string'],
    ['wildcard of a number', { s: [{ wildcard: 1 }] }, 's[0].wildcard', '"wildcard" must be a string'],
  ] as [string, unknown, string, string][])('%s', (_name, pattern, path, message) => {
    expect(compilePattern(pattern as never)).toEqual({ ok: false, error: { path, message } });
  });
});

describe('patterns at the edge of what is allowed', () => {
  it.each([
    ['five wildcards', { s: [{ wildcard: 'a*b*c*d*e*' }] }],
    ['a range written upper bound first', { n: [{ numeric: ['<', 9, '>', 1] }] }],
    ['the longest IPv4 and IPv6 prefixes, and the shortest', { ip: [{ cidr: '10.0.0.0/32' }, { cidr: '::1/128' }, { cidr: '10.0.0.0/0' }] }],
    ['escaped stars and backslashes', { s: [{ wildcard: 'a\\*b\\\\' }] }],
    ['a suffix ignoring case', { s: [{ suffix: { 'equals-ignore-case': 'X' } }] }],
    ['exists false, and every kind of plain value', { s: [{ exists: false }], t: [null, true, 1, 'a'] }],
  ] as [string, unknown][])('%s', (_name, pattern) => {
    expect(compilePattern(pattern as never).ok).toBe(true);
  });
});

describe('what the refused-or-not edge cases mean', () => {
  const compiled = (pattern: unknown) => {
    const result = compilePattern(pattern as never);
    if (!result.ok) throw new Error(result.error.message);
    return result.value;
  };

  it('refuses a CIDR whose prefix length is not one to three digits after one slash', () => {
    for (const cidr of ['10.0.0.0/8/1', '10.0.0.0/x', '10.0.0.0/', '10.0.0.0/1000', '/8', '10.0.0.0/ 8'])
      expect({ cidr, ok: compilePattern({ ip: [{ cidr }] }).ok }).toEqual({ cidr, ok: false });
    expect(compilePattern({ ip: [{ cidr: '10.0.0.0/008' }] }).ok).toBe(true);
  });

  it('reads an escaped star and backslash in a wildcard as themselves', () => {
    const star = compiled({ s: [{ wildcard: 'a\\*b' }] });
    expect(matches(star, { s: 'a*b' })).toBe(true);
    expect(matches(star, { s: 'axb' })).toBe(false);
    const backslash = compiled({ s: [{ wildcard: 'a\\\\*' }] });
    expect(matches(backslash, { s: 'a\\xyz' })).toBe(true);
    expect(matches(backslash, { s: 'axyz' })).toBe(false);
    const both = compiled({ s: [{ wildcard: '*.example.com' }] });
    expect(matches(both, { s: 'shop.example.com' })).toBe(true);
    expect(matches(both, { s: 'shop.exampleXcom' })).toBe(false);
  });

  it('takes one numeric comparison alone, and a range in either order', () => {
    expect(matches(compiled({ n: [{ numeric: ['=', 5] }] }), { n: 5 })).toBe(true);
    expect(matches(compiled({ n: [{ numeric: ['<=', 9, '>=', 1] }] }), { n: 9 })).toBe(true);
    expect(matches(compiled({ n: [{ numeric: ['<=', 9, '>=', 1] }] }), { n: 0 })).toBe(false);
  });
});
