import { parseJsonText } from '#shared/json-text.js';

describe('JSON a person edits', () => {
  it('says the line and column of a syntax error, as an editor counts them', () => {
    const text = '{\n  "id": "welcome",\n  "name": "Welcome"\n  "channel": "email"\n}';
    const parsed = parseJsonText(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toMatch(/^line 4, column 3: /);
  });

  it('says where a file that stops short ends', () => {
    expect(parseJsonText('{\n  "id": ')).toEqual({ ok: false, error: 'line 2, column 9: the file ends before the JSON does' });
  });

  it('reads valid JSON as JSON.parse does', () => {
    expect(parseJsonText('{"a": [1, "2", null]}')).toEqual({ ok: true, value: { a: [1, '2', null] } });
  });
});
