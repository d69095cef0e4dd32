import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalogue } from '#shared/events/index.js';
import { projectDir } from '../support/fixtures.js';

describe('README event catalogue', () => {
  const readme = readFileSync(join(projectDir, 'README.md'), 'utf8');
  const rows = new Map([...readme.matchAll(/^\| `([a-z.*-]+)`\s*\| `([a-z.]+)`\s*\|/gm)].map((match) => [match[1] as string, match[2] as string]));

  it('lists every event on the bus with its source, and nothing else', () => {
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(catalogue.map((contract) => [contract.detailType, contract.source])));
  });
});
