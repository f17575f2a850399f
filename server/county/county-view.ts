// Who sees what of /county: the county admin sees all of it; hub staff see the logistics half
// (the funnel, the hub and the couriers); anyone else is refused.
import type { Actor } from '../accounts/actor.ts';
import { Forbidden, Unauthenticated } from '../core/errors.ts';
import { TtlCache } from '../core/ttl-cache.ts';
import { formatFen } from '../core/http/views.ts';
import { renderCountyMap } from '../trace/county-map.ts';
import { barChart } from './county-charts.ts';
import {
  hubAndCouriers,
  products,
  provinces,
  quality,
  villagesAndShops,
} from './county-dashboard.ts';
import type { CountyNow } from './county-now.ts';
import type { DayRange } from './county-range.ts';

export type CountyAudience = 'county' | 'logistics';

/** The part of /county this person may see. */
export function audienceOf(actor: Actor | undefined): CountyAudience {
  if (!actor) throw new Unauthenticated();
  if (actor.role === 'admin') return 'county';
  if (actor.role === 'hub_staff') return 'logistics';
  throw new Forbidden();
}

/** The request's `t`: a key and its parameters in the reader's language. */
export type Translate = (key: string, params: Record<string, unknown>) => string;

export interface CountyViewDeps {
  now: CountyNow;
  /** Parcels handed over long enough ago that a courier scan should have come (every hub). */
  awaitingFirstScan(): Promise<{ parcelNo: string; courierCode?: string; hoursWaiting: number }[]>;
}

export class CountyView {
  private readonly now: CountyNow;
  private readonly deps: CountyViewDeps;

  /** The first-scan alerts read every parcel's status (no index serves it): once in 30 s. */
  private readonly unscanned = new TtlCache<
    Awaited<ReturnType<CountyViewDeps['awaitingFirstScan']>>
  >(30_000, 1, { staleWhileRevalidate: true });

  constructor(deps: CountyViewDeps) {
    this.deps = deps;
    this.now = deps.now;
  }

  /** The numbers that refresh while the page is open. */
  async live(actor: Actor | undefined, locale: string) {
    const audience = audienceOf(actor);
    const funnel = await this.now.funnel();
    if (audience === 'logistics') return { audience, funnel };
    const [rooms, today] = await Promise.all([this.now.rooms(locale), this.now.today()]);
    return { audience, funnel, rooms, today };
  }

  /** Everything the page shows for the range, for this person. */
  async page(actor: Actor | undefined, range: DayRange, locale: string, t: Translate) {
    const audience = audienceOf(actor);
    const [live, couriers, unscanned] = await Promise.all([
      this.live(actor, locale),
      hubAndCouriers(range, locale),
      this.unscanned.get('all', () => this.deps.awaitingFirstScan()),
    ]);
    const hub = {
      ...couriers,
      unscanned: unscanned.slice(0, 20),
      unscannedCount: unscanned.length,
    };
    const hubCharts = {
      couriers: barChart(
        t('county.hub.chartTitle', {}),
        hub.couriers.map((c) => ({
          label: c.name,
          value: c.parcels,
          text: String(c.parcels),
        })),
      ),
    };
    if (audience === 'logistics') return { ...live, range, hub, hubCharts };
    const [sales, goods, where, checks] = await Promise.all([
      villagesAndShops(range, locale),
      products(range, locale),
      provinces(range),
      quality(),
    ]);
    const maxVillage = Math.max(1, ...sales.mapPoints.map((p) => p.gmvFen));
    return {
      ...live,
      range,
      hub,
      hubCharts,
      sales,
      products: goods,
      provinces: where,
      quality: checks,
      charts: {
        villages: barChart(
          t('county.villages.chartTitle', {}),
          sales.villages.slice(0, 12).map((v) => ({
            label: v.name,
            value: v.gmvFen,
            text: formatFen(v.gmvFen),
          })),
        ),
        provinces: barChart(
          t('county.provinces.chartTitle', {}),
          where.slice(0, 12).map((p) => ({
            label: p.province || t('county.provinces.unknown', {}),
            value: p.gmvFen,
            text: formatFen(p.gmvFen),
          })),
        ),
        map: renderCountyMap({
          locale: locale === 'en' ? 'en' : 'zh-CN',
          title: t('county.villages.mapTitle', {}),
          shaded: sales.mapPoints.map((p) => ({
            x: p.x,
            y: p.y,
            label: `${p.name} ${formatFen(p.gmvFen)}`,
            share: p.gmvFen / maxVillage,
          })),
        }),
      },
    };
  }
}
