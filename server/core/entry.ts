// How an entry point fails: config and prerequisite problems are one line, never a stack trace.
import { ConfigError } from './config.ts';
import { PrerequisiteError } from './errors.ts';

export function runEntryPoint(main: () => Promise<unknown>): void {
  main().catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`cunbo: ${error.problems.length} configuration problem(s):\n`);
      for (const problem of error.problems) process.stderr.write(`  - ${problem}\n`);
    } else if (error instanceof PrerequisiteError) {
      process.stderr.write(`cunbo: ${error.message}\n`);
    } else {
      process.stderr.write(
        `cunbo: start-up failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    }
    process.exit(1);
  });
}
