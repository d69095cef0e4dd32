import { parse } from 'lossless-json';
import { parseJson } from '#services/intake/core/json.js';
import { fixtureBytes } from '../support/fixtures.js';

describe('parsing platform JSON', () => {
  it('keeps integers beyond 2^53 exact, as strings, and leaves safe numbers and strings alone', () => {
    const result = parseJson('{"id": 820982911946154508, "n": [1234567890123456, 9007199254740993], "price": 1.5, "note": "id 820982911946154508"}');
    expect(result).toEqual({
      ok: true,
      value: { id: '820982911946154508', n: [1234567890123456, '9007199254740993'], price: 1.5, note: 'id 820982911946154508' },
    });
  });

  it('gives the same value as the exact parser when a long number stands inside a string', () => {
    const text = '{"note": "a:12345678901234567890,", "id": 12345678901234567890}';
    expect(parseJson(text)).toEqual({ ok: true, value: { note: 'a:12345678901234567890,', id: '12345678901234567890' } });
  });

  it('agrees with the exact parser on a real Shopify order', () => {
    const body = fixtureBytes('webhooks/shopify/shopify-orders-create.json');
    const exact = parse(body.toString('utf8'), null, (digits: string) =>
      Number.isSafeInteger(Number(digits)) || !/^-?\d+$/.test(digits) ? Number(digits) : digits,
    );
    expect(parseJson(body)).toEqual({ ok: true, value: exact });
  });

  it('reports malformed JSON with a position', () => {
    expect(parseJson('{"id": 1,')).toEqual({ ok: false, error: expect.stringMatching(/position/) });
  });
});
