// Uploaded documents (certificates, inspection reports): PDF, JPEG, PNG or WebP up to 5 MB, the
// type decided by the file's own first bytes, never by the name or the browser's claimed type.
// They live under DATA_DIR/uploads/documents but are not served by the public /uploads folder:
// each one is streamed by `serveDocument` after its owner's lookup says the asker may see it.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { receiveFiles } from '../core/http/uploads.ts';
import type { Actor } from '../accounts/actor.ts';
import { Invalid, type FieldProblem } from '../core/errors.ts';

export const MAX_DOCUMENT_BYTES = 5 * 1024 * 1024;

const DOCUMENT_TYPES = [
  { ext: 'pdf', mime: 'application/pdf' },
  { ext: 'jpg', mime: 'image/jpeg' },
  { ext: 'png', mime: 'image/png' },
  { ext: 'webp', mime: 'image/webp' },
] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];
export type DocumentMime = DocumentType['mime'];
export const DOCUMENT_MIMES: DocumentMime[] = DOCUMENT_TYPES.map((t) => t.mime);

export interface StoredDocument {
  /** Relative to DATA_DIR/uploads, e.g. `documents/3f…a1.pdf`. */
  path: string;
  mime: DocumentMime;
  bytes: number;
  originalName: string;
}

export interface UploadedFile {
  buffer: Buffer;
  originalname: string;
}

/** A stored document's id is its file name; the only names `serveDocument` will open. */
const DOCUMENT_ID = /^[0-9a-f]{32}\.(?:pdf|jpg|png|webp)$/;

export function documentsDir(dataDir: string): string {
  return path.join(dataDir, 'uploads', 'documents');
}

/** The id in `/documents/:id` for a stored document. */
export function documentId(doc: Pick<StoredDocument, 'path'>): string {
  return path.posix.basename(doc.path);
}

export function documentUrl(doc: Pick<StoredDocument, 'path'>): string {
  return `/documents/${documentId(doc)}`;
}

/** The real type from the magic bytes, or undefined (an .exe, HTML or SVG renamed .pdf is). */
export function sniffDocumentType(buffer: Buffer): DocumentType | undefined {
  const starts = (bytes: number[], at = 0) => bytes.every((b, i) => buffer[at + i] === b);
  const ascii = (text: string, at = 0) =>
    buffer.subarray(at, at + text.length).toString('latin1') === text;
  if (ascii('%PDF-')) return DOCUMENT_TYPES[0];
  if (starts([0xff, 0xd8, 0xff])) return DOCUMENT_TYPES[1];
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return DOCUMENT_TYPES[2];
  if (ascii('RIFF') && ascii('WEBP', 8)) return DOCUMENT_TYPES[3];
  return undefined;
}

/**
 * What is wrong with an upload, as field problems (empty when it can be stored), so a form can
 * report it together with its other fields.
 */
export function documentProblems(file: UploadedFile | undefined, field: string): FieldProblem[] {
  if (!file || file.buffer.length === 0) return [{ field, code: 'validation.documentMissing' }];
  if (file.buffer.length > MAX_DOCUMENT_BYTES)
    return [{ field, code: 'validation.documentTooLarge' }];
  if (!sniffDocumentType(file.buffer)) return [{ field, code: 'validation.documentType' }];
  return [];
}

/** Checks and writes an uploaded document under DATA_DIR/uploads/documents with a random name. */
export async function storeDocument(
  dataDir: string,
  file: UploadedFile | undefined,
  field = 'file',
): Promise<StoredDocument> {
  const problems = documentProblems(file, field);
  if (!file || problems.length > 0) throw new Invalid('errors.invalid', problems);
  const type = sniffDocumentType(file.buffer)!;
  const name = `${randomBytes(16).toString('hex')}.${type.ext}`;
  const dir = documentsDir(dataDir);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, name), file.buffer, { flag: 'wx' });
  return {
    path: `documents/${name}`,
    mime: type.mime,
    bytes: file.buffer.length,
    originalName: cleanFileName(file.originalname),
  };
}

/** Removes a stored document whose record could not be saved (the compensation of storeDocument). */
export async function discardDocument(
  dataDir: string,
  doc: Pick<StoredDocument, 'path'>,
): Promise<void> {
  await unlink(path.join(documentsDir(dataDir), documentId(doc))).catch(() => {});
}

function cleanFileName(name: string): string {
  const base = [...path.basename(name.replaceAll('\\', '/'))]
    .filter((ch) => ch.charCodeAt(0) >= 0x20 && ch.charCodeAt(0) !== 0x7f)
    .join('');
  return (base || 'document').slice(0, 200);
}

/** One document field: kept in memory, at most 5 MB, UTF-8 file names (中文文件名). */
export function receiveDocument(field: string): RequestHandler {
  return receiveFiles(
    field,
    { fileSize: MAX_DOCUMENT_BYTES, files: 1 },
    'validation.documentTooLarge',
  );
}

/**
 * Finds the stored document with this id if `actor` may see it; undefined otherwise (or when the
 * document belongs to another domain's lookup).
 */
export type DocumentLookup = (
  actor: Actor | undefined,
  documentId: string,
) => Promise<StoredDocument | undefined>;

/**
 * GET /documents/:id handler for one domain's documents: streams the file inline with its checked
 * type. When the lookup does not find it (or the asker may not see it) the request falls through
 * to the next domain's handler, and finally to 404: a hidden document looks like a missing one.
 */
export function serveDocument(dataDir: string, lookup: DocumentLookup): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const id = String(req.params.id);
    if (!DOCUMENT_ID.test(id)) return next();
    const doc = await lookup(req.actor, id);
    if (!doc || documentId(doc) !== id) return next();
    const file = path.join(documentsDir(dataDir), id);
    const size = await stat(file).then(
      (s) => s.size,
      () => undefined,
    );
    if (size === undefined) return next();
    res.set({
      'content-type': doc.mime,
      'content-length': String(size),
      'content-disposition': `inline; filename*=UTF-8''${encodeURIComponent(doc.originalName)}`,
      'x-content-type-options': 'nosniff',
      'cache-control': 'private, no-store',
    });
    const stream = createReadStream(file);
    stream.on('error', next);
    stream.pipe(res);
  };
}

/**
 * Mounted on /uploads before the public static folder, so documents are only reachable through
 * serveDocument. The path is decoded and normalised the way the static server will read it, so
 * `/uploads/products/..%2Fdocuments/…` or `//documents/…` cannot slip past.
 */
export const hideDocumentsFromUploads: RequestHandler = (req, res, next) => {
  let asked: string;
  try {
    asked = decodeURIComponent(req.path);
  } catch {
    return next(); // the static server answers 400 itself
  }
  const first = path.posix.normalize(`/${asked}`).split('/').find(Boolean) ?? '';
  if (first.toLowerCase() !== 'documents') return next();
  res.status(404).type('text/plain').send('Not Found');
};
