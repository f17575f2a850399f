// Go-built helper servers (FerretDB, stripe-mock), compiled once into TOOLS_DIR.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../config.ts';
import { PrerequisiteError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { findExecutable } from './processes.ts';

export const GO_TOOLS = {
  // Built from a wrapper module; see scripts/go-tools/ferretdb/main.go for why.
  ferretdb: {
    version: 'v1.24.2',
    binary: 'ferretdb',
    build: { dir: path.join(PROJECT_ROOT, 'scripts/go-tools/ferretdb'), args: ['build', '-o'] },
  },
  'stripe-mock': {
    version: 'v0.203.0',
    binary: 'stripe-mock',
    install: 'github.com/stripe/stripe-mock@v0.203.0',
  },
} as const;

export type GoToolName = keyof typeof GO_TOOLS;

export function goToolPath(toolsDir: string, name: GoToolName): string {
  const tool = GO_TOOLS[name];
  return path.join(toolsDir, `${name}-${tool.version}`, tool.binary);
}

/** Path to the tool's binary, building it with the machine's Go the first time. */
export async function ensureGoTool(
  toolsDir: string,
  logsDir: string,
  name: GoToolName,
  logger: Logger,
  whatElse: string,
  findGo: () => string | undefined = findGoToolchain,
): Promise<string> {
  const target = goToolPath(toolsDir, name);
  if (existsSync(target)) return target;

  const go = findGo();
  if (!go) {
    throw new PrerequisiteError(
      `${name} is not built yet and no Go toolchain was found: install Go 1.24 or newer, or ${whatElse}`,
    );
  }

  const tool = GO_TOOLS[name];
  const outDir = path.dirname(target);
  const tmpDir = `${outDir}.building-${process.pid}`;
  mkdirSync(tmpDir, { recursive: true });
  mkdirSync(logsDir, { recursive: true });
  const logFile = path.join(logsDir, `build-${name}.log`);
  logger.info(
    { tool: name, version: tool.version },
    `building ${name} ${tool.version} with Go (first run only, a few minutes)`,
  );

  const env = { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0' };
  let code: number | null;
  if ('build' in tool) {
    code = await runGo(
      go,
      [...tool.build.args, path.join(tmpDir, tool.binary), '.'],
      tool.build.dir,
      env,
      logFile,
    );
  } else {
    code = await runGo(
      go,
      ['install', tool.install],
      PROJECT_ROOT,
      { ...env, GOBIN: tmpDir },
      logFile,
    );
  }
  if (code !== 0 || !existsSync(path.join(tmpDir, tool.binary))) {
    rmSync(tmpDir, { recursive: true, force: true });
    throw new PrerequisiteError(`building ${name} with Go failed (exit ${code}); see ${logFile}`);
  }
  if (existsSync(outDir)) rmSync(tmpDir, { recursive: true, force: true });
  else renameSync(tmpDir, outDir);
  return target;
}

/** `go` on PATH, else where the official installer puts it. */
export function findGoToolchain(): string | undefined {
  return findExecutable('go', ['/usr/local/go/bin']);
}

function runGo(go: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, logFile: string) {
  const log = openSync(logFile, 'a');
  return new Promise<number | null>((resolve) => {
    const child = spawn(go, args, { cwd, env, stdio: ['ignore', log, log] });
    child.once('error', () => resolve(-1));
    child.once('exit', (code) => resolve(code));
  }).finally(() => closeSync(log));
}
