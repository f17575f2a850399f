// The public trace page behind a label's QR code: where the produce grew, who grew it, what the
// inspection found, which certifications stand, and how the parcel travelled. No sign-in; every
// unknown, malformed or forged code gets the same answer, and lookups are rate-limited per IP.
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { NotFound, TooManyRequests } from '../core/errors.ts';
import type { Locale } from '../core/i18n/index.ts';
import { pickLocalized } from '../core/localized-text.ts';
import type { RedisKeys } from '../core/redis.ts';
import {
  batchesOfParcelLine,
  courierNameByCode,
  parcelByNo,
  type Batch,
} from '../hub/hub-reads.ts';
import { certificationBadges } from './certification.service.ts';
import { renderCountyMap } from './county-map.ts';
import { ProducerModel } from './producer.model.ts';
import { TraceCodeModel } from './trace-code.model.ts';
import { TRACE_CODE_PATTERN } from './trace-codes.ts';
import { productById, shopById, skuById, villageById } from '../catalogue/catalogue-reads.ts';

/** A buyer scans a handful of codes; a script trying codes hits this within a minute. */
export const TRACE_LOOKUPS_PER_MINUTE = 30;

export type TraceStep =
  'harvested' | 'inspected' | 'received' | 'packed' | 'collected' | 'delivered';

export class TraceService {
  private readonly limiter: RateLimiterRedis;
  private readonly onScan: ((code: string) => void) | undefined;

  /** `onScan`: told each code whose scan was counted (the county counts scans by province). */
  constructor(redis: Redis, keys: RedisKeys, onScan?: (code: string) => void) {
    this.onScan = onScan;
    this.limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: keys.key('rl', 'trace'),
      points: TRACE_LOOKUPS_PER_MINUTE,
      duration: 60,
      blockDuration: 10 * 60,
    });
  }

  /** Lifts an address's limit (the county centre, after checking a complaint; tests). */
  async forgive(ip: string): Promise<void> {
    await this.limiter.delete(ip);
  }

  /** Counts one lookup from this address; TooManyRequests once the address asks too often. */
  async limit(ip: string): Promise<void> {
    try {
      await this.limiter.consume(ip);
    } catch (error) {
      if (error instanceof RateLimiterRes)
        throw new TooManyRequests('errors.tooManyTraceLookups', {
          minutes: Math.ceil(error.msBeforeNext / 60_000),
        });
      throw error;
    }
  }

  /**
   * Resolves a code and counts the scan. Malformed, unknown and forged codes are one and the
   * same NotFound: the answer never says which part was wrong.
   */
  async scan(ip: string, code: string, now = new Date()) {
    await this.limit(ip);
    const notFound = new NotFound('errors.traceNotFound');
    if (!TRACE_CODE_PATTERN.test(code)) throw notFound;
    const found = await TraceCodeModel.findOne({ code }).lean();
    if (!found) throw notFound;
    await TraceCodeModel.updateOne(
      { code },
      {
        $inc: { scans: 1 },
        $set: { lastScanAt: now, ...(found.firstScanAt ? {} : { firstScanAt: now }) },
      },
    );
    this.onScan?.(code);
    return {
      parcelNo: found.parcelNo,
      lineIndex: found.lineIndex ?? undefined,
      scans: found.scans + 1,
      firstScanAt: found.firstScanAt ?? now,
    };
  }

  /** Everything the trace page shows for a scanned code, in the reader's language. */
  async page(ip: string, code: string, locale: Locale) {
    const scan = await this.scan(ip, code);
    const parcel = (await parcelByNo(scan.parcelNo))!;
    const lines =
      scan.lineIndex === undefined
        ? parcel.lines.map((line, index) => ({ line, index }))
        : [{ line: parcel.lines[scan.lineIndex]!, index: scan.lineIndex }];

    const items = [];
    const batchesSeen = [];
    for (const { line } of lines) {
      const batches = await batchesOfParcelLine({ parcelNo: parcel.parcelNo, ...line });
      batchesSeen.push(...batches);
      const shop = await shopById(line.shopId);
      const sku = await skuById(line.skuId);
      const product = sku ? await productById(sku.productId) : null;
      items.push({
        title: line.title,
        spec: line.spec,
        quantity: line.quantity - line.short,
        productSlug: product?.slug,
        shop: shop ? { name: pickLocalized(shop.name, locale), slug: shop.slug } : undefined,
        badges: product ? await certificationBadges({ productId: product._id }) : [],
        batches: await Promise.all(batches.map((b) => this.batchView(b, locale))),
      });
    }

    const collected = parcel.tracking.find(
      (t) => t.kind === 'collected' || t.kind === 'in_transit',
    );
    const delivered = parcel.tracking.find((t) => t.kind === 'delivered');
    const earliest = (dates: (Date | null | undefined)[]) =>
      dates.filter((d): d is Date => !!d).sort((a, b) => a.getTime() - b.getTime())[0];
    const timeline: { step: TraceStep; at: Date | undefined; where?: string }[] = [
      { step: 'harvested', at: earliest(batchesSeen.map((b) => b.harvestDate)) },
      { step: 'inspected', at: earliest(batchesSeen.map((b) => b.qc?.inspectedAt)) },
      { step: 'received', at: earliest(batchesSeen.map((b) => b.receivedAt)) },
      { step: 'packed', at: parcel.packedAt ?? undefined },
      { step: 'collected', at: collected?.at, where: collected?.location },
      { step: 'delivered', at: delivered?.at, where: delivered?.location },
    ];
    const courierName = parcel.courierCode ? await courierNameByCode(parcel.courierCode) : null;
    return {
      code,
      scans: scan.scans,
      firstScanAt: scan.firstScanAt,
      items,
      // Harvest and inspection are days; the hub and the courier record the minute.
      timeline: timeline.map((t) => ({
        ...t,
        done: !!t.at,
        dayOnly: t.step === 'harvested' || t.step === 'inspected',
      })),
      courier: courierName ? pickLocalized(courierName, locale) : undefined,
      delivered: !!delivered,
    };
  }

  private async batchView(batch: Batch, locale: Locale) {
    const village = batch.villageId ? await villageById(batch.villageId) : null;
    const producer = batch.producerId
      ? await ProducerModel.findById(batch.producerId).lean()
      : null;
    const villageName = village ? pickLocalized(village.name, locale) : '';
    return {
      batchNo: batch.batchNo,
      producer: batch.producer,
      producerKind: producer?.kind,
      village: village
        ? {
            name: villageName,
            township: pickLocalized(village.township, locale),
            county: pickLocalized(village.county, locale),
            map: renderCountyMap({
              locale,
              title: villageName,
              ...(village.mapPoint
                ? {
                    highlight: { x: village.mapPoint.x, y: village.mapPoint.y, label: villageName },
                  }
                : {}),
            }),
          }
        : undefined,
      plot: batch.plot,
      processing: batch.processing,
      harvestDate: batch.harvestDate,
      inspection: batch.qc
        ? {
            result: batch.qc.result,
            station: batch.qc.station,
            reportNo: batch.qc.reportNo,
            inspectedAt: batch.qc.inspectedAt,
            items: batch.qc.items,
            reportUrl: batch.qc.reportDocumentId
              ? `/documents/${batch.qc.reportDocumentId}`
              : undefined,
          }
        : undefined,
    };
  }
}
