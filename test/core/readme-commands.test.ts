// Every command the README tells a newcomer to type works as written (issue #12). The courier
// commands are run here for real against this run's server; the rest are accounted for below,
// each with where it is run.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../../server/core/config.ts';
import { ParcelModel } from '../../server/hub/parcel.model.ts';
import { LiveSessionModel } from '../../server/live/live-session.model.ts';
import { childEnv } from '../support/processes.ts';
import { inProcessWeb } from '../support/web-scene.ts';

const run = promisify(execFile);
const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
const scripts = (
  JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts;

/** The README's shell lines (code blocks marked sh), continuation lines joined, comments dropped. */
function shellCommands(): string[] {
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks
    .flatMap((block) => block.replace(/\\\n/g, ' ').split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line && !line.startsWith('#'));
}

/** Commands not run by this file, and what does run them (or why nothing here can). */
const RUN_ELSEWHERE: [RegExp, string][] = [
  [
    /^npm install && npm start$/,
    '.ci/run installs on a clean clone; test/core/workers.test.ts and the browser tests start the processes npm start starts',
  ],
  [/^npm test$/, '.ci/run runs exactly this on a clean clone'],
  [/^stripe listen /, "Stripe's own CLI against a Stripe account: no network to Stripe here"],
  [
    /^STRIPE_SECRET_KEY=\S+ STRIPE_WEBHOOK_SECRET=\S+ STRIPE_PUBLISHABLE_KEY=\S+ npm start$/,
    'real Stripe keys; test/core/config.test.ts checks the keys are taken in pairs',
  ],
  [
    /^MONGODB_URI=.* npm start$/,
    'a production replica set; test/core/local-services.test.ts checks MONGODB_URI is used as given',
  ],
];

describe('the README commands', function () {
  this.timeout(120_000);
  const scene = inProcessWeb();

  it('names only npm scripts and files that exist', () => {
    const named = [...readme.matchAll(/npm run ([a-z:-]+)/g)].map((m) => m[1]!);
    expect(named.filter((name) => !scripts[name])).to.deep.equal([]);
    const files = [...readme.matchAll(/node (scripts\/[\w/.-]+\.ts)/g)].map((m) => m[1]!);
    expect(files.filter((file) => !existsSync(path.join(PROJECT_ROOT, file)))).to.deep.equal([]);
  });

  it('accounts for every shell command: run here, or run elsewhere and said where', () => {
    const unaccounted = shellCommands().filter(
      (command) =>
        !command.startsWith('npm run courier ') &&
        !command.startsWith('npm run rehearse ') &&
        !RUN_ELSEWHERE.some(([pattern]) => pattern.test(command)),
    );
    expect(unaccounted).to.deep.equal([]);
  });

  it('runs the courier commands as written: the list, then an event for a listed waybill', async () => {
    const courier = shellCommands().filter((c) => c.startsWith('npm run courier '));
    expect(courier).to.have.length(2);
    const env = { ...childEnv(), PUBLIC_URL: scene.base };
    const npm = (command: string) => {
      const args = command.split(/\s+/).slice(1);
      return run('npm', ['--silent', ...args], { cwd: PROJECT_ROOT, env, timeout: 90_000 }).catch(
        (error: { message: string; stdout?: string; stderr?: string }) => {
          throw new Error(`${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
        },
      );
    };
    const listed = await npm(courier[0]!);
    const waybill = /--waybill (\S+)/.exec(courier[1]!)![1]!;
    // The demo parcel the README names is among the listed ones.
    expect(listed.stdout).to.match(new RegExp(`chinapost\\s+${waybill}\\s+P\\S+\\s+\\w+`));
    const sent = await npm(courier[1]!);
    expect(sent.stdout).to.match(/^200 /);
    const parcel = (await ParcelModel.findOne({ waybillNo: waybill }).lean())!;
    expect(parcel.status).to.equal('delivered');
  });

  it('runs the rehearsal command as written: simulated orders, real orders untouched', async () => {
    const [command] = shellCommands().filter((c) => c.startsWith('npm run rehearse '));
    const args = command!.split(/\s+/).slice(1);
    const { stdout } = await run('npm', ['--silent', ...args], {
      cwd: PROJECT_ROOT,
      env: { ...childEnv(), PUBLIC_URL: scene.base },
      timeout: 90_000,
    }).catch((error: { message: string; stdout?: string; stderr?: string }) => {
      throw new Error(`${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
    });
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      // The logger's lines (pino) are on stdout too.
      .filter((l) => !('level' in l));
    expect(lines[0])
      .to.have.property('console')
      .that.matches(/\/studio\/live\/[0-9a-f]{24}$/);
    const done = lines.at(-1)!;
    expect(done).to.include({ done: true, kept: false });
    expect(done.rehearsalOrders).to.be.a('number').above(0);
    expect(done.realOrdersAfter).to.equal(done.realOrdersBefore);
    const rehearsalId = lines[0]!.rehearsalId as string;
    expect(await LiveSessionModel.findById(rehearsalId).lean()).to.equal(null);
  });
});
