// Product photos: type and size checked, re-encoded (which also strips EXIF such as GPS),
// a phone-sized main image and a thumbnail, stored under DATA_DIR/uploads.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { Invalid } from '../core/errors.ts';

export const MAX_PHOTO_BYTES = 5 * 1024 * 1024;
const ACCEPTED = new Set(['jpeg', 'png', 'webp']);

export interface StoredPhoto {
  url: string;
  thumbUrl: string;
}

export async function storeProductPhoto(
  uploadsDir: string,
  buffer: Buffer,
  field = 'photo',
): Promise<StoredPhoto> {
  if (buffer.length > MAX_PHOTO_BYTES)
    throw new Invalid('errors.invalid', [{ field, code: 'validation.photoTooLarge' }]);
  let format: string | undefined;
  try {
    format = (await sharp(buffer).metadata()).format;
  } catch {
    format = undefined;
  }
  if (!format || !ACCEPTED.has(format))
    throw new Invalid('errors.invalid', [{ field, code: 'validation.photoType' }]);

  const name = randomBytes(12).toString('base64url');
  const dir = path.join(uploadsDir, 'products');
  await mkdir(dir, { recursive: true });
  const image = sharp(buffer).rotate();
  await Promise.all([
    image
      .clone()
      .resize({ width: 960, height: 720, fit: 'cover' })
      .webp({ quality: 78 })
      .toBuffer()
      .then((b) => writeFile(path.join(dir, `${name}.webp`), b)),
    image
      .clone()
      .resize({ width: 320, height: 240, fit: 'cover' })
      .webp({ quality: 70 })
      .toBuffer()
      .then((b) => writeFile(path.join(dir, `${name}-thumb.webp`), b)),
  ]);
  return {
    url: `/uploads/products/${name}.webp`,
    thumbUrl: `/uploads/products/${name}-thumb.webp`,
  };
}
