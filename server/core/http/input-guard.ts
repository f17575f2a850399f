// The first line of the input boundary: no control character (a NUL above all) in a path, a
// query string or a parsed body gets as far as a route, a query or a document. The schemas
// check each field's shape; this makes sure nothing slips past a route that forgot one.
import type { RequestHandler } from 'express';
import { Invalid, type FieldProblem } from '../errors.ts';
import { hasControlCharacters } from '../validation.ts';

/** Deeper than any form or API body Cunbo takes; deeper bodies are refused, not walked. */
export const MAX_DEPTH = 32;

type Finding = { field: string; code: 'validation.controlCharacters' | 'validation.tooDeep' };

/**
 * The first field (dotted path) holding a control character in a string or a key, or a body
 * nested deeper than MAX_DEPTH. Walked with a stack of its own, so no input can overflow it.
 */
export function findBadField(value: unknown): Finding | undefined {
  const stack: { value: unknown; at: string; depth: number }[] = [{ value, at: '', depth: 0 }];
  while (stack.length > 0) {
    const { value: item, at, depth } = stack.pop()!;
    const field = at || 'input';
    if (typeof item === 'string') {
      if (hasControlCharacters(item, { multiline: true }))
        return { field, code: 'validation.controlCharacters' };
      continue;
    }
    if (!item || typeof item !== 'object' || Buffer.isBuffer(item)) continue;
    if (depth >= MAX_DEPTH) return { field, code: 'validation.tooDeep' };
    const entries = Array.isArray(item)
      ? item.map((v, i) => [String(i), v] as const)
      : Object.entries(item);
    // Pushed in reverse so the first field is looked at first.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      const path = at ? `${at}.${key}` : key;
      if (hasControlCharacters(key)) return { field: path, code: 'validation.controlCharacters' };
      stack.push({ value: child, at: path, depth: depth + 1 });
    }
  }
  return undefined;
}

/** The refusal of a value with a control character anywhere or nested too deep; else undefined. */
export function controlCharacterRefusal(value: unknown): Invalid | undefined {
  const found = findBadField(value);
  return found ? refused(found) : undefined;
}

function refused(found: Finding): Invalid {
  const fields: FieldProblem[] = [found];
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
  if (hasControlCharacters(path))
    return next(refused({ field: 'path', code: 'validation.controlCharacters' }));
  next(controlCharacterRefusal(req.query));
};

/** Refuses a parsed body with a control character in any field (tabs and line breaks pass). */
export const refuseControlCharactersInBody: RequestHandler = (req, _res, next) => {
  next(controlCharacterRefusal(req.body));
};
