// `npm run test:stress [-- mocha arguments]` — the test suite on a busy machine (issue #16): two
// processes spin a CPU core each for as long as `npm run test:suite` runs, so that a test which
// passes only on an idle machine fails here rather than on someone else's. The spinners are
// stopped however the suite ends (Ctrl-C included), and the exit status is the suite's.
//
// Arguments go to mocha. Test files among them replace the suite's own list:
//   npm run test:stress -- test/payments/stripe-payments.test.ts --grep=replayed
// TEST_TIME_FACTOR stretches the suite's waits as usual (test/support/timeouts.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SPINNERS = 2;
const projectRoot = path.resolve(import.meta.dirname, '..');

/** With test files given, a copy of .mocharc.json without its `spec`: mocha adds them up. */
function mochaArguments(args: string[]): string[] {
  if (!args.some((arg) => !arg.startsWith('-') && arg.endsWith('.ts'))) return args;
  const rc = JSON.parse(readFileSync(path.join(projectRoot, '.mocharc.json'), 'utf8')) as {
    spec?: unknown;
  };
  delete rc.spec;
  const copy = path.join(os.tmpdir(), `cunbo-stress-mocharc-${process.pid}.json`);
  writeFileSync(copy, JSON.stringify(rc));
  process.once('exit', () => rmSync(copy, { force: true }));
  return ['--config', copy, ...args];
}

const spinners: ChildProcess[] = Array.from({ length: SPINNERS }, () =>
  spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' }),
);
const stopSpinners = () => {
  for (const spinner of spinners) if (spinner.exitCode === null) spinner.kill('SIGKILL');
};
// Whatever ends this process ends the spinners too.
process.once('exit', stopSpinners);

const suite = spawn('npm', ['run', 'test:suite', '--', ...mochaArguments(process.argv.slice(2))], {
  cwd: projectRoot,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    suite.kill(signal);
    stopSpinners();
  });
suite.once('error', (error) => {
  console.error(`test:stress: could not run the suite: ${error.message}`);
  process.exit(1);
});
suite.once('exit', (code, signal) => {
  stopSpinners();
  process.exit(code ?? (signal ? 1 : 0));
});
