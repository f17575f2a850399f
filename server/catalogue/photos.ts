// Product photos: type and size checked, re-encoded (which also strips EXIF such as GPS),
// a phone-sized main image and a thumbnail, stored under DATA_DIR/uploads.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { Invalid } from '../core/errors.ts';

export const MAX_PHOTO_BYTES = 5 * 1024 * 1024;
const ACCEPTED = new Set(['jpeg', 'png', 'webp']);
/**
 * Decoding stays bounded: at most 40 megapixels (a phone's photo is 12–50), and a truncated or
 * corrupt file is refused rather than half decoded.
 */
const DECODE = { limitInputPixels: 40_000_000, failOn: 'truncated' } as const;

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
  let pixels = 0;
  try {
    const meta = await sharp(buffer, DECODE).metadata();
    format = meta.format;
    pixels = (meta.width ?? 0) * (meta.height ?? 0);
  } catch {
    format = undefined;
  }
  if (!format || !ACCEPTED.has(format))
    throw new Invalid('errors.invalid', [{ field, code: 'validation.photoType' }]);
  if (pixels > DECODE.limitInputPixels)
    throw new Invalid('errors.invalid', [{ field, code: 'validation.photoTooManyPixels' }]);

  const image = sharp(buffer, DECODE).rotate();
  let encoded: [Buffer, Buffer];
  try {
    // Both sizes are decoded before anything is written: a file that fails half-way leaves none.
    encoded = await Promise.all([
      image
        .clone()
        .resize({ width: 960, height: 720, fit: 'cover' })
        .webp({ quality: 78 })
        .toBuffer(),
      image
        .clone()
        .resize({ width: 320, height: 240, fit: 'cover' })
        .webp({ quality: 70 })
        .toBuffer(),
    ]);
  } catch {
    throw new Invalid('errors.invalid', [{ field, code: 'validation.photoUnreadable' }]);
  }
  const name = randomBytes(12).toString('base64url');
  const dir = path.join(uploadsDir, 'products');
  await mkdir(dir, { recursive: true });
  await Promise.all([
    writeFile(path.join(dir, `${name}.webp`), encoded[0]),
    writeFile(path.join(dir, `${name}-thumb.webp`), encoded[1]),
  ]);
  return {
    url: `/uploads/products/${name}.webp`,
    thumbUrl: `/uploads/products/${name}-thumb.webp`,
  };
}
