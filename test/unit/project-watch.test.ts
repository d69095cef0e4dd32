import { changedFiles } from '../../local/project-watch.js';

describe('the files a look at the project finds changed', () => {
  const before = new Map([
    ['rules/a.json', '1:10:100'],
    ['rules/b.json', '2:10:100'],
    ['templates/a.liquid', '3:10:100'],
  ]);

  it('names files added, changed (size, time or a new inode from a rename) and removed, sorted', () => {
    const after = new Map([
      ['rules/a.json', '1:10:100'],
      ['rules/b.json', '9:10:100'],
      ['rules/c.json', '4:1:200'],
    ]);
    expect(changedFiles(before, after)).toEqual(['rules/b.json', 'rules/c.json', 'templates/a.liquid']);
  });

  it('names nothing when nothing changed', () => {
    expect(changedFiles(before, new Map(before))).toEqual([]);
  });
});
