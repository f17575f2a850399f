// Certifications (地理标志, 绿色食品, 有机…): a shop submits one with its certificate, the county admin
// verifies or rejects it, and only verified, unexpired ones show as badges anywhere.
import { Types } from 'mongoose';
import { z } from 'zod';
import type { Actor } from '../accounts/actor.ts';
import {
  countShopProducts,
  productTitlesByIds,
  shopNamesByIds,
  shopProductTitles,
} from '../catalogue/catalogue-reads.ts';
import { Conflict, Forbidden, Invalid, NotFound, type FieldProblem } from '../core/errors.ts';
import { chinaDay } from '../core/china-time.ts';
import { pickLocalized } from '../core/localized-text.ts';
import { parseInput, plainText } from '../core/validation.ts';
import {
  CERTIFICATION_KINDS,
  CertificationModel,
  type Certification,
  type CertificationKind,
} from './certification.model.ts';
import {
  discardDocument,
  documentProblems,
  documentUrl,
  storeDocument,
  type DocumentLookup,
  type StoredDocument,
  type UploadedFile,
} from './uploads.ts';

const MAX_SCOPE = 50;
const DAY_MS = 86_400_000;

/** What a badge shows; dates are China calendar days (YYYY-MM-DD). */
export interface CertificationBadge {
  id: string;
  kind: CertificationKind;
  issuer: string;
  number: string;
  validFrom: string;
  validTo: string;
  documentUrl: string;
}

type BadgeFields = Pick<Certification, 'status' | 'validFrom' | 'validTo'>;

/** The one rule for a badge: verified by the county admin, and valid on `now`'s day. */
export function isBadgeWorthy(cert: BadgeFields, now: Date): boolean {
  const t = now.getTime();
  return cert.status === 'verified' && cert.validFrom.getTime() <= t && t <= cert.validTo.getTime();
}

/**
 * Badges for a product (certifications whose scope covers it) and/or a shop: one indexed query,
 * then `isBadgeWorthy` as the single source of the rule. Every page that shows badges uses this.
 */
export async function certificationBadges(
  { productId, shopId }: { productId?: string | Types.ObjectId; shopId?: string | Types.ObjectId },
  now: Date = new Date(),
): Promise<CertificationBadge[]> {
  const filter: Record<string, unknown> = {
    status: 'verified',
    validFrom: { $lte: now },
    validTo: { $gte: now },
  };
  if (productId !== undefined) {
    if (!Types.ObjectId.isValid(productId)) return [];
    filter.productIds = new Types.ObjectId(String(productId));
  }
  if (shopId !== undefined) {
    if (!Types.ObjectId.isValid(shopId)) return [];
    filter.shopId = new Types.ObjectId(String(shopId));
  }
  if (productId === undefined && shopId === undefined) return [];
  const certs = await CertificationModel.find(filter).sort({ kind: 1, validTo: -1 }).lean();
  return certs
    .filter((c) => isBadgeWorthy(c, now))
    .map((c) => ({
      id: String(c._id),
      kind: c.kind,
      issuer: c.issuer,
      number: c.number,
      validFrom: chinaDay(c.validFrom),
      validTo: chinaDay(c.validTo),
      documentUrl: documentUrl(c.certificate),
    }));
}

/** "2032-12-31" → 00:00 that day in China, or undefined for anything that is not a real date. */
function startOfChinaDay(value: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const date = new Date(`${value}T00:00:00+08:00`);
  if (Number.isNaN(date.getTime()) || chinaDay(date) !== value) return undefined;
  const year = Number(value.slice(0, 4));
  return year >= 1990 && year <= 2100 ? date : undefined;
}

const text = (min: number, max: number, code: string) => plainText(code, { min, max });
const day = (code: string) =>
  z.string({ error: code }).transform((v, ctx) => {
    const date = startOfChinaDay(v.trim());
    if (!date) {
      ctx.addIssue({ code: 'custom', message: code });
      return z.NEVER;
    }
    return date;
  });

export const certificationInput = z
  .object({
    kind: z.enum(CERTIFICATION_KINDS, { error: 'validation.certKind' }),
    number: text(2, 60, 'validation.certNumber'),
    issuer: text(2, 80, 'validation.certIssuer'),
    valid_from: day('validation.validFrom'),
    valid_to: day('validation.validTo'),
    // One checkbox arrives as a string, several as an array.
    product_ids: z.preprocess(
      (v) => (typeof v === 'string' ? [v] : v),
      z
        .array(z.string().regex(/^[0-9a-f]{24}$/, 'validation.certScope'), {
          error: 'validation.certScope',
        })
        .min(1, 'validation.certScope')
        .max(MAX_SCOPE, 'validation.certScope')
        .transform((ids) => [...new Set(ids)]),
    ),
  })
  .refine((c) => c.valid_to.getTime() > c.valid_from.getTime(), {
    path: ['valid_to'],
    message: 'validation.validRange',
  });

export const reviewInput = z
  .object({
    decision: z.enum(['verify', 'reject'], { error: 'validation.reviewDecision' }),
    reason: plainText('validation.rejectReason', { max: 500, multiline: true }).default(''),
  })
  .refine((r) => r.decision === 'verify' || r.reason.length >= 2, {
    path: ['reason'],
    message: 'validation.rejectReason',
  });

/** One certification as the shop's list and the admin's queue show it. */
export interface CertificationRow {
  id: string;
  kind: CertificationKind;
  number: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  status: Certification['status'];
  /** Verified but past its last day, or not yet at its first: no badge now. */
  outOfDate: boolean;
  badgeShown: boolean;
  reason: string | undefined;
  reviewedAt: Date | undefined;
  submittedAt: Date | undefined;
  shopName: string;
  products: string[];
  documentUrl: string;
  documentName: string;
}

export class CertificationService {
  private readonly dataDir: string;

  constructor({ dataDir }: { dataDir: string }) {
    this.dataDir = dataDir;
  }

  private shopOf(actor: Actor | undefined): Types.ObjectId {
    if (actor?.role !== 'streamer' || !actor.shopId) throw new Forbidden();
    return new Types.ObjectId(actor.shopId);
  }

  private assertAdmin(actor: Actor | undefined): void {
    if (actor?.role !== 'admin') throw new Forbidden();
  }

  /** A streamer submits a certification for products of their own shop; it waits for review. */
  async submit(actor: Actor | undefined, input: unknown, file: UploadedFile | undefined) {
    const shopId = this.shopOf(actor);
    const problems: FieldProblem[] = [];
    let parsed: z.output<typeof certificationInput> | undefined;
    try {
      parsed = parseInput(certificationInput, input);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      problems.push(...error.fields);
    }
    if (parsed) {
      // Another shop's product is indistinguishable from a missing one.
      const own = await countShopProducts(
        shopId,
        parsed.product_ids.map((id) => new Types.ObjectId(id)),
      );
      if (own !== parsed.product_ids.length)
        problems.push({ field: 'product_ids', code: 'validation.certScopeProduct' });
    }
    problems.push(...documentProblems(file, 'certificate'));
    if (!parsed || problems.length > 0) throw new Invalid('errors.invalid', problems);

    const certificate: StoredDocument = await storeDocument(this.dataDir, file, 'certificate');
    try {
      const created = await CertificationModel.create({
        shopId,
        kind: parsed.kind,
        number: parsed.number,
        issuer: parsed.issuer,
        productIds: parsed.product_ids.map((id) => new Types.ObjectId(id)),
        validFrom: parsed.valid_from,
        // Valid through the whole last day.
        validTo: new Date(parsed.valid_to.getTime() + DAY_MS - 1),
        certificate,
        status: 'pending',
        submittedBy: new Types.ObjectId(actor!.id),
      });
      return created.toObject();
    } catch (error) {
      await discardDocument(this.dataDir, certificate);
      throw error;
    }
  }

  /**
   * The county admin verifies or rejects (with a reason) a pending certification; a decided one
   * is not decided again. (Two admins deciding the very same second may both pass the pending
   * check on FerretDB; the later decision then stands, which is still an admin's decision.)
   */
  async review(actor: Actor | undefined, certificationId: string, input: unknown) {
    this.assertAdmin(actor);
    if (!Types.ObjectId.isValid(certificationId))
      throw new NotFound('errors.certificationNotFound');
    const { decision, reason } = parseInput(reviewInput, input);
    const cert = await CertificationModel.findById(certificationId).lean();
    if (!cert) throw new NotFound('errors.certificationNotFound');
    if (cert.status !== 'pending') throw new Conflict('errors.certificationAlreadyReviewed');
    const review = {
      by: new Types.ObjectId(actor!.id),
      at: new Date(),
      ...(decision === 'reject' ? { reason } : {}),
    };
    const status = decision === 'verify' ? 'verified' : 'rejected';
    const { matchedCount } = await CertificationModel.updateOne(
      { _id: cert._id, status: 'pending' },
      { $set: { status, review } },
    );
    if (matchedCount === 0) throw new Conflict('errors.certificationAlreadyReviewed');
    return { ...cert, status, review };
  }

  /** The streamer's own shop's certifications, newest first, and its products for the form. */
  async listForShop(actor: Actor | undefined, locale: string, now: Date = new Date()) {
    const shopId = this.shopOf(actor);
    const [certs, products] = await Promise.all([
      CertificationModel.find({ shopId }).sort({ createdAt: -1 }).limit(200).lean(),
      shopProductTitles(shopId),
    ]);
    return {
      certifications: await this.rows(certs, locale, now),
      products: products.map((p) => ({ id: String(p._id), title: pickLocalized(p.title, locale) })),
    };
  }

  /** The admin's queue: every pending one (oldest first), then the 50 latest decisions. */
  async reviewQueue(actor: Actor | undefined, locale: string, now: Date = new Date()) {
    this.assertAdmin(actor);
    const [pending, decided] = await Promise.all([
      CertificationModel.find({ status: 'pending' }).sort({ createdAt: 1 }).limit(500).lean(),
      CertificationModel.find({ status: { $in: ['verified', 'rejected'] } })
        .sort({ 'review.at': -1 })
        .limit(50)
        .lean(),
    ]);
    return {
      pending: await this.rows(pending, locale, now),
      decided: await this.rows(decided, locale, now),
    };
  }

  badgesFor(
    target: { productId?: string | Types.ObjectId; shopId?: string | Types.ObjectId },
    now: Date = new Date(),
  ): Promise<CertificationBadge[]> {
    return certificationBadges(target, now);
  }

  /**
   * For serveDocument: a certificate file is public once verified; the admin and the owning
   * shop may always see it; anyone else gets the same 404 as for a missing file.
   */
  certificateDocument: DocumentLookup = async (actor, documentId) => {
    const cert = await CertificationModel.findOne(
      { 'certificate.path': `documents/${documentId}` },
      { shopId: 1, status: 1, certificate: 1 },
    ).lean();
    if (!cert) return undefined;
    const visible =
      cert.status === 'verified' ||
      actor?.role === 'admin' ||
      (actor?.shopId !== undefined && actor.shopId === String(cert.shopId));
    return visible ? (cert.certificate as StoredDocument) : undefined;
  };

  private async rows(
    certs: (Certification & { _id: Types.ObjectId; createdAt?: Date })[],
    locale: string,
    now: Date,
  ): Promise<CertificationRow[]> {
    if (certs.length === 0) return [];
    const [products, shops] = await Promise.all([
      productTitlesByIds(certs.flatMap((c) => c.productIds)),
      shopNamesByIds(certs.map((c) => c.shopId)),
    ]);
    const title = new Map(products.map((p) => [String(p._id), pickLocalized(p.title, locale)]));
    const shopName = new Map(shops.map((s) => [String(s._id), pickLocalized(s.name, locale)]));
    return certs.map((c) => ({
      id: String(c._id),
      kind: c.kind,
      number: c.number,
      issuer: c.issuer,
      validFrom: chinaDay(c.validFrom),
      validTo: chinaDay(c.validTo),
      status: c.status,
      outOfDate: c.status === 'verified' && !isBadgeWorthy(c, now),
      badgeShown: isBadgeWorthy(c, now),
      reason: c.review?.reason ?? undefined,
      reviewedAt: c.review?.at ?? undefined,
      submittedAt: c.createdAt,
      shopName: shopName.get(String(c.shopId)) ?? '',
      products: c.productIds.map((id) => title.get(String(id)) ?? String(id)),
      documentUrl: documentUrl(c.certificate),
      documentName: c.certificate.originalName,
    }));
  }
}
