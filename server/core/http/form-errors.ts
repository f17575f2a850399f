// A form that was refused comes back as it was typed, with the reason beside each field: one
// helper for every server-rendered form, so none of them falls back to a full-page error.
import { noteParams } from '../i18n/notes.ts';
import type { Request, Response } from 'express';
import { AppError, Invalid } from '../errors.ts';

export interface FormErrorLocals {
  values: unknown;
  error: string;
  fields: Record<string, string>;
}

/**
 * What a form's view needs to show a refusal: the values typed, the message, and each field's
 * message under the name of its input (`fieldName` maps a schema path to it).
 */
export function formErrorLocals(
  req: Request,
  error: AppError,
  {
    values = req.body as unknown,
    fieldName = (path: string) => path,
  }: { values?: unknown; fieldName?: (path: string) => string } = {},
): FormErrorLocals {
  return {
    values,
    error: req.t(error.code, noteParams(error.params, req.locale)),
    fields: Object.fromEntries(
      (error instanceof Invalid ? error.fields : []).map((f) => [
        fieldName(f.field),
        req.t(f.code, f.params ?? {}),
      ]),
    ),
  };
}

/** Re-renders `view` with the refusal when `error` is bad input; rethrows anything else. */
export function renderFormErrors(
  req: Request,
  res: Response,
  view: string,
  error: unknown,
  locals: Record<string, unknown>,
  options?: Parameters<typeof formErrorLocals>[2],
): void {
  if (!(error instanceof Invalid)) throw error;
  res.status(error.status).render(view, { ...locals, ...formErrorLocals(req, error, options) });
}
