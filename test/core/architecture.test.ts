// The map matches the land (issue #16): the README's "Where things live" names every part of
// server/ and nothing that is gone, and docs/architecture.svg shows the arrows the code has.
// No file outgrows 400 lines. (The layer rules themselves run in `npm run lint`, through
// dependency-cruiser.)
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { cruise } from 'dependency-cruiser';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../../server/core/config.ts';

const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
const whereThingsLive = readme.split('### Where things live')[1]!.split('\n### ')[0]!;

/** The arrows between top-level parts (server/<part>/, workers/, entry points), as text. */
function arrows(dotOrSvg: string): string[] {
  const found = [
    ...dotOrSvg.matchAll(
      /"?((?:server|workers)\/[\w./-]*)"?\s*(?:->|&#45;&gt;)\s*"?((?:server|workers)\/[\w./-]*)"?/g,
    ),
  ];
  return [...new Set(found.map((m) => `${m[1]} -> ${m[2]}`))].sort();
}

describe('architecture: the README and the picture match the code', () => {
  it('"Where things live" names every folder of server/, and every path it names exists', () => {
    const folders = readdirSync(path.join(PROJECT_ROOT, 'server'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `server/${d.name}/`);
    for (const folder of folders) expect(whereThingsLive, folder).to.include(`\`${folder}\``);
    const named = [
      ...whereThingsLive.matchAll(/`((?:server|workers|scripts|views|public|test)[^`]*)`/g),
    ]
      .map((m) => m[1]!)
      .filter((p) => !p.includes('<'));
    for (const p of named) expect(existsSync(path.join(PROJECT_ROOT, p)), p).to.equal(true);
  });

  it('no file of server/ or workers/ is over 400 lines, seed data aside', () => {
    const files = (dir: string): string[] =>
      readdirSync(path.join(PROJECT_ROOT, dir), { withFileTypes: true }).flatMap((d) =>
        d.isDirectory()
          ? files(`${dir}/${d.name}`)
          : d.name.endsWith('.ts')
            ? [`${dir}/${d.name}`]
            : [],
      );
    const long = [...files('server'), ...files('workers')]
      .filter((f) => !f.startsWith('server/seed/'))
      .map((f) => ({
        f,
        lines: readFileSync(path.join(PROJECT_ROOT, f), 'utf8').split('\n').length - 1,
      }))
      .filter(({ lines }) => lines > 400)
      .map(({ f, lines }) => `${f}: ${lines} lines`);
    expect(long, 'split these along their seams').to.deep.equal([]);
  });

  it('docs/architecture.svg shows exactly the arrows between the parts that the imports make', async () => {
    const result = await cruise(['server', 'workers'], {
      outputType: 'dot',
      collapse: '^(server/[^/]+/|workers/|server/[^/]+\\.ts$)',
      includeOnly: '^(server|workers)/',
      tsPreCompilationDeps: true,
    });
    const drawn = readFileSync(path.join(PROJECT_ROOT, 'docs', 'architecture.svg'), 'utf8');
    expect(arrows(drawn)).to.include('server/app/ -> server/core/');
    expect(
      arrows(drawn),
      'run `npm run deps:graph` and commit docs/architecture.svg',
    ).to.deep.equal(arrows(String(result.output)));
  });
});
