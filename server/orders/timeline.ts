// Why each step of an order happened, as an i18n code (timeline.*) and its parameters: the
// order page renders it in the reader's language (server/core/i18n/notes.ts).
import type { NoteParam } from '../core/i18n/notes.ts';

export interface TimelineNote {
  code: `timeline.${string}`;
  params?: Record<string, NoteParam>;
}

/** Shorthand for a timeline note: `note('paidWith', { method: 'alipay' })`. */
export function note(name: string, params?: Record<string, NoteParam>): TimelineNote {
  return { code: `timeline.${name}`, ...(params ? { params } : {}) };
}
