// The README's configuration table is the reference a newcomer reads: every setting the config
// schema knows is in it, nothing else is, and each default it states is the one the code uses.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { DEFAULTS, PROJECT_ROOT } from '../../server/core/config.ts';

/** Rows of the table: the names in the first cell (`HOST` / `PORT` is two) and the default. */
function readmeRows(): { names: string[]; stated: string }[] {
  const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  return readme
    .split('\n')
    .filter((line) => /^\| `[A-Z][A-Z0-9_]+`/.test(line))
    .map((line) => {
      const [, first = '', second = ''] = line.split('|').map((cell) => cell.trim());
      return {
        names: [...first.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!),
        stated: second,
      };
    });
}

describe('the README configuration table', () => {
  it('lists every setting of the config schema and no other', () => {
    const listed = readmeRows().flatMap((row) => row.names);
    expect([...listed].sort()).to.deep.equal(Object.keys(DEFAULTS).sort());
  });

  it('states the defaults the code uses', () => {
    for (const { names, stated } of readmeRows()) {
      const values = [...stated.matchAll(/`([^`]*)`/g)].map((m) => m[1]!);
      names.forEach((name, i) => {
        const actual = DEFAULTS[name as keyof typeof DEFAULTS];
        // "—" (no default), "generated", or a default that depends on another setting.
        if (actual === '' || values[i] === undefined || /PORT|\.\//.test(values[i]!)) return;
        expect(values[i], name).to.equal(actual);
      });
    }
  });
});
