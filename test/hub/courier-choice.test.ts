import { expect } from 'chai';
import mongoose, { Schema } from 'mongoose';
import {
  chooseCourier,
  parcelFeeFen,
  summariseChoice,
  type ChoiceRequest,
  type CourierRules,
  type CourierUsage,
  type RateCardEntry,
  type RejectionCode,
} from '../../server/hub/courier-choice.ts';
import { courierChoiceSchema, recordedChoice } from '../../server/hub/courier-choice.schema.ts';
import {
  MAINLAND_PROVINCES,
  normaliseProvince,
  zoneFor,
  type DestinationZone,
} from '../../server/hub/destination-zones.ts';
import { createI18n } from '../../server/core/i18n/index.ts';
import { DEMO_COURIERS } from '../../server/seed/demo-county.ts';

// Friday afternoon at the hub, a minute either side of the 16:30 franchise cut-off.
const BEFORE_CUTOFF = new Date('2026-11-27T16:29:00+08:00');
const AFTER_CUTOFF = new Date('2026-11-27T16:31:00+08:00');
const TODAY = '2026-11-27';
const TOMORROW = '2026-11-28';

type Rates = Partial<Record<DestinationZone, [first: number, extra: number, days: number]>>;

function courier(
  code: string,
  rates: Rates,
  rules: Partial<Omit<CourierRules, 'rateCard' | 'code'>> = {},
): CourierRules {
  const rateCard: RateCardEntry[] = Object.entries(rates).map(([zone, [first, extra, days]]) => ({
    zone,
    firstKgFen: first,
    extraKgFen: extra,
    promisedDays: days,
  }));
  return {
    code,
    active: true,
    coverage: { provinces: ['*'], excludedCounties: [], reachesVillages: false },
    weightBand: { minWeightGrams: 1, maxWeightGrams: 30_000 },
    dailyCapacity: 10,
    pickupCutoff: '16:30',
    ...rules,
    rateCard,
  };
}

const NEAR_PROVINCES = ['山西', '北京', '天津', '河北', '河南', '山东', '陕西', '内蒙古'];

/** A small fleet whose prices make each rule visible. */
const FLEET: CourierRules[] = [
  courier(
    'post',
    {
      local: [800, 200, 2],
      near: [1000, 300, 3],
      mid: [1200, 500, 4],
      far: [1400, 700, 5],
      remote: [2000, 1500, 7],
    },
    {
      coverage: { provinces: ['*'], excludedCounties: [], reachesVillages: true },
      weightBand: { minWeightGrams: 1, maxWeightGrams: 40_000 },
      pickupCutoff: '17:30',
      dailyCapacity: 100,
    },
  ),
  courier(
    'zto',
    { local: [500, 100, 1], near: [600, 200, 2], mid: [700, 300, 3], far: [800, 400, 3] },
    {
      coverage: { provinces: ['*'], excludedCounties: ['西藏/墨脱县'], reachesVillages: false },
    },
  ),
  courier(
    'sto',
    { local: [450, 100, 2], near: [550, 200, 2] },
    {
      coverage: { provinces: NEAR_PROVINCES, excludedCounties: [], reachesVillages: false },
      pickupCutoff: '16:00',
    },
  ),
  courier(
    'deppon',
    {
      local: [300, 150, 2],
      near: [1500, 250, 3],
      mid: [1800, 350, 3],
      far: [2200, 450, 4],
      remote: [3500, 1000, 7],
    },
    { weightBand: { minWeightGrams: 3000, maxWeightGrams: 60_000 }, pickupCutoff: '17:00' },
  ),
  courier(
    'sf',
    {
      local: [1200, 200, 1],
      near: [1600, 500, 1],
      mid: [2000, 800, 2],
      far: [2300, 1000, 2],
      remote: [2800, 2000, 4],
    },
    { pickupCutoff: '18:00' },
  ),
  courier(
    'kye',
    { local: [100, 100, 1], near: [100, 100, 1], mid: [100, 100, 1], far: [100, 100, 1] },
    { active: false, pickupCutoff: '18:30' },
  ),
];

const BEIJING = { province: '北京市', county: '朝阳区' };
const GUANGZHOU = { province: '广东省', county: '天河区' };
const PINGSHUN_TOWN = { province: '山西省', county: '平顺县', village: '' };
const XIGOU_VILLAGE = { province: '山西省', county: '平顺县', village: '西沟村' };

interface Case {
  name: string;
  request: Partial<ChoiceRequest> & Pick<ChoiceRequest, 'destination' | 'weightGrams'>;
  couriers?: CourierRules[];
  usage?: CourierUsage;
  expect:
    | {
        courier: string;
        feeFen: number;
        shipDate: string;
        delivery: string;
        rule: 'preferred' | 'cheapest';
        rejected: Record<string, RejectionCode>;
      }
    | { none: true; rejected: Record<string, RejectionCode> };
}

const CASES: Case[] = [
  {
    name: 'a 500 g jar to Beijing goes with the cheapest, even though its cut-off has passed',
    request: { destination: BEIJING, weightGrams: 500 },
    expect: {
      courier: 'sto',
      feeFen: 550,
      shipDate: TOMORROW,
      delivery: '2026-11-30',
      rule: 'cheapest',
      rejected: { deppon: 'weight_out_of_band', kye: 'inactive' },
    },
  },
  {
    name: 'coverage by province: Guangdong is beyond STO, so ZTO takes it',
    request: { destination: GUANGZHOU, weightGrams: 500 },
    expect: {
      courier: 'zto',
      feeFen: 800,
      shipDate: TODAY,
      delivery: '2026-11-30',
      rule: 'cheapest',
      rejected: { sto: 'province_not_covered', deppon: 'weight_out_of_band', kye: 'inactive' },
    },
  },
  {
    name: 'a courier with no rate for the zone is passed over (Lhasa: ZTO has no remote rate)',
    request: { destination: { province: '西藏自治区', county: '城关区' }, weightGrams: 500 },
    expect: {
      courier: 'post',
      feeFen: 2000,
      shipDate: TODAY,
      delivery: '2026-12-04',
      rule: 'cheapest',
      rejected: {
        zto: 'no_rate_for_zone',
        sto: 'province_not_covered',
        deppon: 'weight_out_of_band',
        kye: 'inactive',
      },
    },
  },
  {
    name: 'county exclusion: ZTO does not serve Medog county',
    request: { destination: { province: '西藏', county: '墨脱县' }, weightGrams: 500 },
    expect: {
      courier: 'post',
      feeFen: 2000,
      shipDate: TODAY,
      delivery: '2026-12-04',
      rule: 'cheapest',
      rejected: {
        zto: 'county_excluded',
        sto: 'province_not_covered',
        deppon: 'weight_out_of_band',
        kye: 'inactive',
      },
    },
  },
  {
    name: 'a village address leaves only the couriers that reach villages',
    request: { destination: XIGOU_VILLAGE, weightGrams: 500 },
    expect: {
      courier: 'post',
      feeFen: 800,
      shipDate: TODAY,
      delivery: '2026-11-29',
      rule: 'cheapest',
      rejected: {
        zto: 'no_village_delivery',
        sto: 'no_village_delivery',
        deppon: 'no_village_delivery',
        sf: 'no_village_delivery',
        kye: 'inactive',
      },
    },
  },
  {
    name: 'the same county without a village goes with the cheap franchise couriers',
    request: { destination: PINGSHUN_TOWN, weightGrams: 500 },
    expect: {
      courier: 'sto',
      feeFen: 450,
      shipDate: TOMORROW,
      delivery: '2026-11-30',
      rule: 'cheapest',
      rejected: { deppon: 'weight_out_of_band', kye: 'inactive' },
    },
  },
  {
    name: 'weight band: 2999 g is just under Deppon’s 3 kg minimum',
    request: { destination: PINGSHUN_TOWN, weightGrams: 2999 },
    expect: {
      courier: 'sto',
      feeFen: 650,
      shipDate: TOMORROW,
      delivery: '2026-11-30',
      rule: 'cheapest',
      rejected: { deppon: 'weight_out_of_band', kye: 'inactive' },
    },
  },
  {
    name: 'weight band: 3000 g is on Deppon’s edge and it is cheapest',
    request: { destination: PINGSHUN_TOWN, weightGrams: 3000 },
    expect: {
      courier: 'deppon',
      feeFen: 600,
      shipDate: TODAY,
      delivery: '2026-11-29',
      rule: 'cheapest',
      rejected: { kye: 'inactive' },
    },
  },
  {
    name: 'weight band: 30 001 g is over the 30 kg couriers; Deppon beats the post',
    request: { destination: PINGSHUN_TOWN, weightGrams: 30_001 },
    expect: {
      courier: 'deppon',
      feeFen: 300 + 30 * 150,
      shipDate: TODAY,
      delivery: '2026-11-29',
      rule: 'cheapest',
      rejected: {
        zto: 'weight_out_of_band',
        sto: 'weight_out_of_band',
        sf: 'weight_out_of_band',
        kye: 'inactive',
      },
    },
  },
  {
    name: 'fee: exactly 1000 g is the first kilogram only',
    request: { destination: BEIJING, weightGrams: 1000 },
    expect: {
      courier: 'sto',
      feeFen: 550,
      shipDate: TOMORROW,
      delivery: '2026-11-30',
      rule: 'cheapest',
      rejected: { deppon: 'weight_out_of_band', kye: 'inactive' },
    },
  },
  {
    name: 'fee: 1001 g starts a second kilogram',
    request: { destination: BEIJING, weightGrams: 1001 },
    expect: {
      courier: 'sto',
      feeFen: 750,
      shipDate: TOMORROW,
      delivery: '2026-11-30',
      rule: 'cheapest',
      rejected: { deppon: 'weight_out_of_band', kye: 'inactive' },
    },
  },
  {
    name: 'capacity full today: ZTO is skipped and the next cheapest takes it',
    request: { destination: GUANGZHOU, weightGrams: 500 },
    usage: { zto: { [TODAY]: 10 } },
    expect: {
      courier: 'post',
      feeFen: 1400,
      shipDate: TODAY,
      delivery: '2026-12-02',
      rule: 'cheapest',
      rejected: {
        zto: 'capacity_full',
        sto: 'province_not_covered',
        deppon: 'weight_out_of_band',
        kye: 'inactive',
      },
    },
  },
  {
    name: 'cut-off passed: ZTO ships tomorrow, so today’s full load does not matter',
    request: { destination: GUANGZHOU, weightGrams: 500, now: AFTER_CUTOFF },
    usage: { zto: { [TODAY]: 10, [TOMORROW]: 9 } },
    expect: {
      courier: 'zto',
      feeFen: 800,
      shipDate: TOMORROW,
      delivery: '2026-12-01',
      rule: 'cheapest',
      rejected: { sto: 'province_not_covered', deppon: 'weight_out_of_band', kye: 'inactive' },
    },
  },
  {
    name: 'cut-off passed and tomorrow is full: the post, still before its cut-off, ships today',
    request: { destination: GUANGZHOU, weightGrams: 500, now: AFTER_CUTOFF },
    usage: { zto: { [TOMORROW]: 10 } },
    expect: {
      courier: 'post',
      feeFen: 1400,
      shipDate: TODAY,
      delivery: '2026-12-02',
      rule: 'cheapest',
      rejected: {
        zto: 'capacity_full',
        sto: 'province_not_covered',
        deppon: 'weight_out_of_band',
        kye: 'inactive',
      },
    },
  },
  {
    name: 'exactly at the cut-off counts as passed',
    request: {
      destination: GUANGZHOU,
      weightGrams: 500,
      now: new Date('2026-11-27T16:30:00+08:00'),
    },
    expect: {
      courier: 'zto',
      feeFen: 800,
      shipDate: TOMORROW,
      delivery: '2026-12-01',
      rule: 'cheapest',
      rejected: { sto: 'province_not_covered', deppon: 'weight_out_of_band', kye: 'inactive' },
    },
  },
  {
    name: 'the clock is China’s: 00:10 on the 28th in Pingshun is still the 27th in UTC',
    request: {
      destination: GUANGZHOU,
      weightGrams: 500,
      now: new Date('2026-11-27T16:10:00Z'),
    },
    expect: {
      courier: 'zto',
      feeFen: 800,
      shipDate: TOMORROW,
      delivery: '2026-12-01',
      rule: 'cheapest',
      rejected: { sto: 'province_not_covered', deppon: 'weight_out_of_band', kye: 'inactive' },
    },
  },
  {
    name: 'the buyer’s preference wins when that courier is eligible, though dearer',
    request: { destination: BEIJING, weightGrams: 500, preferredCourier: 'sf' },
    expect: {
      courier: 'sf',
      feeFen: 1600,
      shipDate: TODAY,
      delivery: '2026-11-28',
      rule: 'preferred',
      rejected: { deppon: 'weight_out_of_band', kye: 'inactive' },
    },
  },
  {
    name: 'the buyer’s preference is ignored when that courier cannot take the parcel',
    request: { destination: XIGOU_VILLAGE, weightGrams: 500, preferredCourier: 'SF' },
    expect: {
      courier: 'post',
      feeFen: 800,
      shipDate: TODAY,
      delivery: '2026-11-29',
      rule: 'cheapest',
      rejected: {
        zto: 'no_village_delivery',
        sto: 'no_village_delivery',
        deppon: 'no_village_delivery',
        sf: 'no_village_delivery',
        kye: 'inactive',
      },
    },
  },
  {
    name: 'nobody can take a 70 kg crate',
    request: { destination: BEIJING, weightGrams: 70_000 },
    expect: {
      none: true,
      rejected: {
        post: 'weight_out_of_band',
        zto: 'weight_out_of_band',
        sto: 'weight_out_of_band',
        deppon: 'weight_out_of_band',
        sf: 'weight_out_of_band',
        kye: 'inactive',
      },
    },
  },
  {
    name: 'nobody ships outside the mainland',
    request: { destination: { province: '香港特别行政区', county: '中西区' }, weightGrams: 500 },
    expect: {
      none: true,
      rejected: {
        post: 'province_not_covered',
        zto: 'province_not_covered',
        sto: 'province_not_covered',
        deppon: 'province_not_covered',
        sf: 'province_not_covered',
        kye: 'inactive',
      },
    },
  },
  {
    name: 'tie on fee: the earlier promised delivery wins',
    request: { destination: BEIJING, weightGrams: 500 },
    couriers: [courier('aaa', { near: [600, 200, 3] }), courier('bbb', { near: [600, 200, 2] })],
    expect: {
      courier: 'bbb',
      feeFen: 600,
      shipDate: TODAY,
      delivery: '2026-11-29',
      rule: 'cheapest',
      rejected: {},
    },
  },
  {
    name: 'tie on fee: shipping today beats the same promise after a passed cut-off',
    request: { destination: BEIJING, weightGrams: 500 },
    couriers: [
      courier('aaa', { near: [600, 200, 2] }, { pickupCutoff: '16:00' }),
      courier('bbb', { near: [600, 200, 2] }, { pickupCutoff: '17:00' }),
    ],
    expect: {
      courier: 'bbb',
      feeFen: 600,
      shipDate: TODAY,
      delivery: '2026-11-29',
      rule: 'cheapest',
      rejected: {},
    },
  },
  {
    name: 'tie on fee and delivery: the code decides, so the choice is stable',
    request: { destination: BEIJING, weightGrams: 500 },
    couriers: [courier('bbb', { near: [600, 200, 2] }), courier('aaa', { near: [600, 200, 2] })],
    expect: {
      courier: 'aaa',
      feeFen: 600,
      shipDate: TODAY,
      delivery: '2026-11-29',
      rule: 'cheapest',
      rejected: {},
    },
  },
  {
    name: 'a paused courier (capacity 0) is always full',
    request: { destination: BEIJING, weightGrams: 500 },
    couriers: [
      courier('aaa', { near: [500, 200, 2] }, { dailyCapacity: 0 }),
      courier('bbb', { near: [600, 200, 2] }),
    ],
    expect: {
      courier: 'bbb',
      feeFen: 600,
      shipDate: TODAY,
      delivery: '2026-11-29',
      rule: 'cheapest',
      rejected: { aaa: 'capacity_full' },
    },
  },
];

describe('choosing a courier for a parcel', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const request: ChoiceRequest = { now: BEFORE_CUTOFF, ...c.request };
      const result = chooseCourier(request, c.couriers ?? FLEET, c.usage ?? {});
      const rejected = Object.fromEntries(
        (result.kind === 'chosen' ? result.reason.rejected : result.rejected).map((r) => [
          r.courierCode,
          r.code,
        ]),
      );
      if ('none' in c.expect) {
        expect(result.kind).to.equal('none');
      } else {
        expect(result.kind, JSON.stringify(result)).to.equal('chosen');
        if (result.kind !== 'chosen') return;
        expect({
          courier: result.courierCode,
          feeFen: result.feeFen,
          shipDate: result.shipDate,
          delivery: result.promisedDeliveryDate,
          rule: result.reason.rule,
        }).to.deep.equal({
          courier: c.expect.courier,
          feeFen: c.expect.feeFen,
          shipDate: c.expect.shipDate,
          delivery: c.expect.delivery,
          rule: c.expect.rule,
        });
      }
      expect(rejected).to.deep.equal(c.expect.rejected);
    });
  }

  it('records which ship date was full', () => {
    const result = chooseCourier(
      { destination: GUANGZHOU, weightGrams: 500, now: AFTER_CUTOFF },
      FLEET,
      { zto: { [TOMORROW]: 10 } },
    );
    expect(result.kind === 'chosen' && result.reason.rejected).to.deep.include({
      courierCode: 'zto',
      code: 'capacity_full',
      shipDate: TOMORROW,
    });
  });

  it('prices the first kilogram and each started kilogram after it', () => {
    const rate = { zone: 'near', firstKgFen: 1000, extraKgFen: 300, promisedDays: 2 };
    expect(
      [1, 999, 1000, 1001, 2000, 2001, 10_000].map((g) => parcelFeeFen(rate, g)),
    ).to.deep.equal([1000, 1000, 1000, 1300, 1300, 1600, 3700]);
  });

  it('refuses a weight that is not a positive whole number of grams', () => {
    for (const weightGrams of [0, -5, 12.5, Number.NaN])
      expect(() =>
        chooseCourier({ destination: BEIJING, weightGrams, now: BEFORE_CUTOFF }, FLEET, {}),
      ).to.throw(RangeError);
  });

  it('explains the choice in Chinese and English from the stored codes', async () => {
    const i18n = await createI18n('zh-CN');
    const names: Record<string, string> = { post: '中国邮政', sf: '顺丰速运' };
    const result = chooseCourier(
      { destination: XIGOU_VILLAGE, weightGrams: 500, preferredCourier: 'sf', now: BEFORE_CUTOFF },
      FLEET,
      {},
    );
    const zh = summariseChoice(result, i18n.getFixedT('zh-CN'), (c) => names[c] ?? c);
    expect(zh).to.include('选用最便宜的可用快递：中国邮政，运费 ¥8.00');
    expect(zh).to.include('2026-11-27 发出，预计 2026-11-29 前送达');
    expect(zh).to.include('买家选的顺丰速运这次不能用：不送到村。');
    expect(zh).to.include('kye（已停用）');
    const en = summariseChoice(result, i18n.getFixedT('en'));
    expect(en).to.include('Cheapest available courier: post, ¥8.00');
    expect(en).to.include(
      'The buyer chose sf, which cannot take it: does not deliver to villages.',
    );
    const none = chooseCourier(
      { destination: BEIJING, weightGrams: 70_000, now: BEFORE_CUTOFF },
      FLEET,
      {},
    );
    expect(summariseChoice(none, i18n.getFixedT('zh-CN'))).to.match(/^没有快递能承运这件包裹。/);
  });
});

describe('the demo county’s 13 couriers', () => {
  const at10 = new Date('2026-11-27T10:00:00+08:00');
  const choose = (request: Omit<ChoiceRequest, 'now'>) =>
    chooseCourier({ now: at10, ...request }, DEMO_COURIERS, {});

  it('each has a weight band, a cut-off and a rate card', () => {
    expect(DEMO_COURIERS).to.have.length(13);
    for (const c of DEMO_COURIERS) {
      expect(c.rateCard.length, c.code).to.be.at.least(3);
      expect(c.weightBand.minWeightGrams).to.be.below(c.weightBand.maxWeightGrams);
    }
  });

  it('send a village parcel within Shanxi with China Post', () => {
    const result = choose({ destination: XIGOU_VILLAGE, weightGrams: 600 });
    expect(result.kind === 'chosen' && result.courierCode).to.equal('chinapost');
  });

  it('send a light parcel to Beijing with the cheapest franchise courier', () => {
    const result = choose({ destination: BEIJING, weightGrams: 500 });
    expect(result.kind === 'chosen' && [result.courierCode, result.feeFen]).to.deep.equal([
      'jtexpress',
      500,
    ]);
  });

  it('send a 20 kg box to Xinjiang with Deppon', () => {
    const result = choose({
      destination: { province: '新疆维吾尔自治区', county: '天山区' },
      weightGrams: 20_000,
    });
    expect(result.kind === 'chosen' && result.courierCode).to.equal('deppon');
  });

  it('honour a buyer who pays for KYE next-day to Beijing, but not to Guangdong', () => {
    const beijing = choose({ destination: BEIJING, weightGrams: 500, preferredCourier: 'kye' });
    expect(beijing.kind === 'chosen' && [beijing.courierCode, beijing.promisedDays]).to.deep.equal([
      'kye',
      1,
    ]);
    const guangzhou = choose({ destination: GUANGZHOU, weightGrams: 500, preferredCourier: 'kye' });
    expect(guangzhou.kind === 'chosen' && guangzhou.reason.rule).to.equal('cheapest');
  });
});

describe('destination zones from the Shanxi hub', () => {
  const OFFICIAL_NAMES = [
    '北京市',
    '天津市',
    '上海市',
    '重庆市',
    '河北省',
    '山西省',
    '辽宁省',
    '吉林省',
    '黑龙江省',
    '江苏省',
    '浙江省',
    '安徽省',
    '福建省',
    '江西省',
    '山东省',
    '河南省',
    '湖北省',
    '湖南省',
    '广东省',
    '海南省',
    '四川省',
    '贵州省',
    '云南省',
    '陕西省',
    '甘肃省',
    '青海省',
    '内蒙古自治区',
    '广西壮族自治区',
    '西藏自治区',
    '宁夏回族自治区',
    '新疆维吾尔自治区',
  ];
  const shortOf = (name: string) =>
    name.replace(/(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区)$/, '');

  it('places all 31 mainland provinces, with or without their suffix', () => {
    expect(OFFICIAL_NAMES).to.have.length(31);
    expect([...MAINLAND_PROVINCES].sort()).to.deep.equal(OFFICIAL_NAMES.map(shortOf).sort());
    for (const full of OFFICIAL_NAMES) {
      const short = shortOf(full);
      expect(zoneFor(full), full).to.be.a('string');
      expect(zoneFor(short), short).to.equal(zoneFor(full));
      expect(zoneFor(` ${full} `), full).to.equal(zoneFor(full));
      expect(normaliseProvince(full), full).to.equal(short);
    }
  });

  it('counts zones outward from Shanxi', () => {
    const zones = Object.fromEntries(
      [
        '山西',
        '河北',
        '北京市',
        '内蒙古自治区',
        '陕西',
        '江苏',
        '四川省',
        '广东',
        '广西壮族自治区',
        '新疆',
        '西藏自治区',
        '青海省',
      ].map((p) => [p, zoneFor(p)]),
    );
    expect(zones).to.deep.equal({
      山西: 'local',
      河北: 'near',
      北京市: 'near',
      内蒙古自治区: 'near',
      陕西: 'near',
      江苏: 'mid',
      四川省: 'mid',
      广东: 'far',
      广西壮族自治区: 'far',
      新疆: 'remote',
      西藏自治区: 'remote',
      青海省: 'remote',
    });
  });

  it('tells Shanxi from Shaanxi in English too, and knows nothing beyond the mainland', () => {
    expect(zoneFor('Shanxi Province')).to.equal('local');
    expect(zoneFor('shaanxi')).to.equal('near');
    expect(zoneFor('Inner Mongolia Autonomous Region')).to.equal('near');
    expect(zoneFor('Guangxi Zhuang Autonomous Region')).to.equal('far');
    for (const outside of ['香港特别行政区', '澳门', '台湾省', '', '火星'])
      expect(zoneFor(outside), outside).to.equal(undefined);
  });
});

describe('the choice as a parcel records it', () => {
  it('stores the chosen courier and every reason as codes that pass the schema', async () => {
    const Probe =
      mongoose.models.CourierChoiceProbe ??
      mongoose.model('CourierChoiceProbe', new Schema({ courierChoice: courierChoiceSchema }));
    const choice = chooseCourier(
      { destination: GUANGZHOU, weightGrams: 500, preferredCourier: 'kye', now: AFTER_CUTOFF },
      FLEET,
      { zto: { [TOMORROW]: 10 } },
    );
    if (choice.kind !== 'chosen') throw new Error('expected a courier');
    const decidedAt = new Date('2026-11-27T08:31:00Z');
    const doc = new Probe({ courierChoice: recordedChoice(choice, decidedAt) });
    await doc.validate();
    expect(doc.toObject().courierChoice).to.deep.equal({
      courierCode: 'post',
      feeFen: 1400,
      zone: 'far',
      shipDate: TODAY,
      promisedDays: 5,
      promisedDeliveryDate: '2026-12-02',
      reason: {
        rule: 'cheapest',
        preferredCourier: 'kye',
        rejected: [
          { courierCode: 'zto', code: 'capacity_full', shipDate: TOMORROW },
          { courierCode: 'sto', code: 'province_not_covered' },
          { courierCode: 'deppon', code: 'weight_out_of_band' },
          { courierCode: 'kye', code: 'inactive' },
        ],
      },
      decidedAt,
    });
  });
});
