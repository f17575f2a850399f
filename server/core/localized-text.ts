import { Schema } from 'mongoose';

/** Text a person reads, in Simplified Chinese and English. */
export interface LocalizedText {
  zh: string;
  en: string;
}

export const localizedTextSchema = new Schema<LocalizedText>(
  {
    zh: { type: String, required: true, trim: true, maxlength: 4000 },
    en: { type: String, required: true, trim: true, maxlength: 4000 },
  },
  { _id: false },
);

export function pickLocalized(text: LocalizedText | undefined, locale: string): string {
  if (!text) return '';
  return locale === 'en' ? text.en || text.zh : text.zh || text.en;
}
