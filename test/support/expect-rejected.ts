import { expect } from 'chai';
import type { AppError } from '../../server/core/errors.ts';

/**
 * Awaits `promise`, which must fail with the typed error `type` (server/core/errors.ts) and, when
 * given, the i18n `code` the buyer would read; returns the error for further checks.
 */
export async function expectRejected<E extends AppError>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
  code?: string,
): Promise<E> {
  let failure: { error: unknown } | undefined;
  try {
    await promise;
  } catch (error) {
    failure = { error };
  }
  if (!failure) throw new Error(`expected a ${type.name}, but it succeeded`);
  expect(failure.error, String(failure.error)).to.be.instanceOf(type);
  const error = failure.error as E;
  if (code !== undefined) expect(error.code).to.equal(code);
  return error;
}
