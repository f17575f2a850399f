// The layers of Cunbo, checked by `npm run lint` (dependency-cruiser):
//   core  ←  domains (accounts, catalogue, stock, orders, payments, live, hub, trace, county)  ←  app, seed, workers, entry points
// Domains talk to each other through services and events, never through another's models.
const DOMAINS = '(accounts|catalogue|stock|orders|payments|promotions|live|hub|trace|county)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes two parts one: neither can be read, tested or changed alone.',
      from: { path: '^(server|workers)/' },
      to: { circular: true },
    },
    {
      name: 'core-imports-no-domain',
      severity: 'error',
      comment:
        'server/core/ is the runtime every process opens (config, stores, http plumbing, i18n); it knows no domain. The app wires domains into it.',
      from: { path: '^server/core/' },
      to: { path: '^(server/(?!core/)|workers/|scripts/|test/)' },
    },
    {
      name: 'domains-do-not-reach-up',
      severity: 'error',
      comment:
        'A domain never imports the composition root, the workers, the seed or an entry point: those call domains, not the other way round.',
      from: { path: `^server/${DOMAINS}/` },
      to: { path: '^(server/(app|seed)/|server/(start|web)\\.ts$|workers/|scripts/|test/)' },
    },
    {
      name: 'no-foreign-models',
      severity: 'error',
      comment:
        "A domain reads another domain's data through that domain's service, not its Mongoose model.",
      from: { path: `^server/${DOMAINS}/` },
      to: { path: `^server/${DOMAINS}/.+\\.model\\.ts$`, pathNot: '^server/$1/' },
    },
    {
      name: 'not-to-tests',
      severity: 'error',
      comment: 'Shipped code never imports test code (scripts/ are dev tools and may).',
      from: { path: '^(server|workers)/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
