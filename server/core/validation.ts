// Validating input at the edge: zod schemas whose messages are i18n keys.
import type { z } from 'zod';
import { Invalid, type FieldProblem } from './errors.ts';

/** Parses `data` or throws Invalid listing each bad field with an i18n message key. */
export function parseInput<S extends z.ZodType>(schema: S, data: unknown): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const fields: FieldProblem[] = result.error.issues.map((issue) => ({
    field: issue.path.join('.') || 'input',
    code: issue.message.startsWith('validation.') ? issue.message : 'validation.invalid',
  }));
  throw new Invalid('errors.invalid', fields);
}
