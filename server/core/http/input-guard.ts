// The first line of the input boundary: no control character (a NUL above all) in a path, a
// query string or a parsed body gets as far as a route, a query or a document. The schemas
// check each field's shape; this makes sure nothing slips past a route that forgot one.
import type { RequestHandler } from 'express';
import { Invalid, type FieldProblem } from '../errors.ts';
import { hasControlCharacters } from '../validation.ts';

/** The first field (dotted path) holding a string with a control character, if any. */
export function fieldWithControlCharacters(value: unknown, at = ''): string | undefined {
  if (typeof value === 'string')
    return hasControlCharacters(value, { multiline: true }) ? at || 'input' : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = fieldWithControlCharacters(value[i], at ? `${at}.${i}` : String(i));
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const [key, item] of Object.entries(value)) {
      const field = at ? `${at}.${key}` : key;
      if (hasControlCharacters(key)) return field;
      const found = fieldWithControlCharacters(item, field);
      if (found) return found;
    }
  }
  return undefined;
}

/** The refusal of a value holding a control character anywhere, or undefined if it is clean. */
export function controlCharacterRefusal(value: unknown): Invalid | undefined {
  const field = fieldWithControlCharacters(value);
  return field ? refused(field) : undefined;
}

function refused(field: string): Invalid {
  const fields: FieldProblem[] = [{ field, code: 'validation.controlCharacters' }];
  return new Invalid('errors.invalid', fields);
}

/** Refuses a path or query string with a control character, before any route sees it. */
export const refuseControlCharactersInUrl: RequestHandler = (req, _res, next) => {
  let path: string;
  try {
    path = decodeURIComponent(req.path);
  } catch {
    return next(new Invalid('errors.invalid', [{ field: 'path', code: 'validation.invalid' }]));
  }
  if (hasControlCharacters(path)) return next(refused('path'));
  const field = fieldWithControlCharacters(req.query);
  next(field ? refused(field) : undefined);
};

/** Refuses a parsed body with a control character in any field (tabs and line breaks pass). */
export const refuseControlCharactersInBody: RequestHandler = (req, _res, next) => {
  next(controlCharacterRefusal(req.body));
};
