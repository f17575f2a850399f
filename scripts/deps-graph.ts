// `npm run deps:graph`: draws how the parts of server/ and workers/ depend on each other, one
// box per folder, as docs/architecture.svg (dependency-cruiser reads the imports; Graphviz,
// compiled to WebAssembly by @viz-js/viz, lays them out). The arrows are the ones
// .dependency-cruiser.cjs checks in `npm run lint`.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cruise } from 'dependency-cruiser';
import { instance } from '@viz-js/viz';
import { PROJECT_ROOT } from '../server/core/config.ts';

process.chdir(PROJECT_ROOT);
const result = await cruise(['server', 'workers'], {
  outputType: 'dot',
  // One box per top-level part: server/core, server/<domain>, server/app, workers, entry points.
  collapse: '^(server/[^/]+/|workers/|server/[^/]+\\.ts$)',
  includeOnly: '^(server|workers)/',
  tsPreCompilationDeps: true,
});
const dot = String(result.output);
const svg = (await instance()).renderString(dot, { format: 'svg', engine: 'dot' });
const out = path.join(PROJECT_ROOT, 'docs', 'architecture.svg');
await writeFile(out, svg);
process.stdout.write(`wrote ${out}\n`);
