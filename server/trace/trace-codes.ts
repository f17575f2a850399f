// Trace codes (一物一码): issued at packing, one for the parcel (printed as the label's QR code)
// and one per parcel line. 120 random bits each, written as 20 URL-safe characters: short enough
// for a small QR code, far too many to guess.
import { randomBytes } from 'node:crypto';
import { TraceCodeModel } from './trace-code.model.ts';

export const TRACE_CODE_PATTERN = /^[A-Za-z0-9_-]{20}$/;

export function newTraceCode(): string {
  return randomBytes(15).toString('base64url');
}

/**
 * Issues the parcel's code and one per line, or returns those issued before (packing can be
 * retried): codes are stored with the parcel number and line, unique by code.
 */
export async function issueTraceCodes(
  parcelNo: string,
  lineCount: number,
): Promise<{ parcelCode: string; lineCodes: string[] }> {
  const existing = await TraceCodeModel.find({ parcelNo }).lean();
  const parcelCode =
    existing.find((c) => c.lineIndex === undefined || c.lineIndex === null)?.code ??
    (await createCode(parcelNo));
  const lineCodes: string[] = [];
  for (let i = 0; i < lineCount; i++)
    lineCodes.push(
      existing.find((c) => c.lineIndex === i)?.code ?? (await createCode(parcelNo, i)),
    );
  return { parcelCode, lineCodes };
}

async function createCode(parcelNo: string, lineIndex?: number): Promise<string> {
  const code = newTraceCode();
  await TraceCodeModel.create({
    code,
    parcelNo,
    ...(lineIndex === undefined ? {} : { lineIndex }),
  });
  return code;
}
