// Multipart uploads fail closed: a file over its limit, too many parts, a body with no boundary
// or a part that never ends all become a 400 naming the field, like any other bad input.
import type { RequestHandler } from 'express';
import multer from 'multer';
import { Invalid } from '../errors.ts';

export interface UploadLimits {
  /** Largest file, in bytes. */
  fileSize: number;
  /** Files accepted in one request. */
  files: number;
}

/**
 * Multer, in memory, for one field (req.file when `files` is 1, else req.files): its errors and
 * the multipart parser's become Invalid, with `tooLargeCode` for a file over the limit and
 * validation.upload otherwise.
 */
export function receiveFiles(
  field: string,
  { fileSize, files }: UploadLimits,
  tooLargeCode: string,
): RequestHandler {
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize, files, fields: 50, fieldSize: 100 * 1024 },
    // 中文文件名 arrive as UTF-8.
    defParamCharset: 'utf8',
  });
  const parse = files === 1 ? upload.single(field) : upload.array(field, files);
  return (req, res, next) =>
    parse(req, res, (err?: unknown) => {
      if (!err) return next();
      const code =
        err instanceof multer.MulterError && err.code === 'LIMIT_FILE_SIZE'
          ? tooLargeCode
          : 'validation.upload';
      const at = err instanceof multer.MulterError && err.field ? err.field : field;
      next(new Invalid('errors.invalid', [{ field: at, code }]));
    });
}
