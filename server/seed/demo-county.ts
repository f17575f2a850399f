// The demo county: Pingshun's hub, couriers, villages, shops and produce. Names of villages and
// townships are real places; shops, people, prices and phone numbers are made up for the demo.
import type { LocalizedText } from '../core/localized-text.ts';
import {
  ALL_PROVINCES,
  DESTINATION_ZONES,
  MAINLAND_PROVINCES,
  zoneFor,
  type DestinationZone,
} from '../hub/destination-zones.ts';

export const DEMO_PASSWORD = 'cunbo2026';

const county: LocalizedText = { zh: '平顺县', en: 'Pingshun County' };
export const DEMO_REGION = { province: '山西省', city: '长治市', county };

export interface DemoVillage {
  code: string;
  name: LocalizedText;
  township: LocalizedText;
  mapPoint: { x: number; y: number };
  specialties: string[];
}

const v = (
  code: string,
  zh: string,
  en: string,
  tzh: string,
  ten: string,
  x: number,
  y: number,
  specialties: string[],
): DemoVillage => ({
  code,
  name: { zh, en },
  township: { zh: tzh, en: ten },
  mapPoint: { x, y },
  specialties,
});

export const DEMO_VILLAGES: DemoVillage[] = [
  v('PS-XIGOU', '西沟村', 'Xigou', '西沟乡', 'Xigou Township', 330, 300, ['花椒', '党参']),
  v('PS-NANSAI', '南赛村', 'Nansai', '西沟乡', 'Xigou Township', 380, 250, ['花椒']),
  v('PS-LONGXI', '龙溪村', 'Longxi', '龙溪镇', 'Longxi Town', 450, 520, ['挂面', '辣酱']),
  v('PS-SHICHENG', '石城村', 'Shicheng', '石城镇', 'Shicheng Town', 760, 660, ['核桃', '柿饼']),
  v('PS-YUEJIAZHAI', '岳家寨村', 'Yuejiazhai', '石城镇', 'Shicheng Town', 820, 720, ['蜂蜜']),
  v('PS-HONGTIGUAN', '虹梯关村', 'Hongtiguan', '虹梯关乡', 'Hongtiguan Township', 700, 430, [
    '小米',
    '杂粮',
  ]),
  v('PS-DONGSITOU', '东寺头村', 'Dongsitou', '东寺头乡', 'Dongsitou Township', 600, 230, [
    '潞党参',
    '连翘',
  ]),
  v('PS-YANGGAO', '阳高村', 'Yanggao', '阳高乡', 'Yanggao Township', 560, 820, ['蜂蜜']),
  v('PS-BEIDANCHE', '北耽车村', 'Beidanche', '北耽车乡', 'Beidanche Township', 230, 470, ['小米']),
  v('PS-QINGYANG', '青羊村', 'Qingyang', '青羊镇', 'Qingyang Town', 300, 620, ['蔬菜']),
  v('PS-MIAOZHUANG', '苗庄村', 'Miaozhuang', '苗庄镇', 'Miaozhuang Town', 180, 330, ['黄芩']),
  v('PS-XINGCHENG', '杏城村', 'Xingcheng', '杏城镇', 'Xingcheng Town', 420, 720, ['杏仁']),
];

export const DEMO_HUB = {
  code: 'PS-HUB',
  name: { zh: '平顺县仓储物流配送中心', en: 'Pingshun County Warehouse & Distribution Centre' },
  address: '山西省长治市平顺县青羊镇物流园区 1 号',
  phone: '0355-0000000',
  zones: ['A', 'B', 'C', 'D'],
  aisles: 4,
  shelves: 5,
};

export interface DemoCourierRate {
  zone: DestinationZone;
  firstKgFen: number;
  extraKgFen: number;
  promisedDays: number;
}

export interface DemoCourier {
  code: string;
  name: LocalizedText;
  coverage: { provinces: string[]; excludedCounties: string[]; reachesVillages: boolean };
  weightBand: { minWeightGrams: number; maxWeightGrams: number };
  rateCard: DemoCourierRate[];
  dailyCapacity: number;
  pickupCutoff: string;
  active: boolean;
}

/** [first kg fen, each extra kg fen, promised days] per zone; a missing zone is not served. */
type Rates = Partial<Record<DestinationZone, [number, number, number]>>;

const c = (
  code: string,
  zh: string,
  en: string,
  opts: {
    provinces?: string[];
    excludedCounties?: string[];
    reachesVillages: boolean;
    kg: [min: number, max: number];
    rates: Rates;
    dailyCapacity: number;
    pickupCutoff: string;
  },
): DemoCourier => ({
  code,
  name: { zh, en },
  coverage: {
    provinces: opts.provinces ?? [ALL_PROVINCES],
    excludedCounties: opts.excludedCounties ?? [],
    reachesVillages: opts.reachesVillages,
  },
  weightBand: { minWeightGrams: opts.kg[0] * 1000 || 1, maxWeightGrams: opts.kg[1] * 1000 },
  rateCard: DESTINATION_ZONES.flatMap((zone) => {
    const rate = opts.rates[zone];
    return rate ? [{ zone, firstKgFen: rate[0], extraKgFen: rate[1], promisedDays: rate[2] }] : [];
  }),
  dailyCapacity: opts.dailyCapacity,
  pickupCutoff: opts.pickupCutoff,
  active: true,
});

const provincesIn = (...zones: DestinationZone[]) =>
  MAINLAND_PROVINCES.filter((p) => zones.includes(zoneFor(p)!));

// Remote border counties the franchise networks do not deliver to themselves.
const FRANCHISE_GAPS = ['西藏/墨脱县', '西藏/察隅县', '新疆/塔什库尔干塔吉克自治县'];

// Prices are the county hub's negotiated rates (a bulk shipper pays far below the walk-in price).
export const DEMO_COURIERS: DemoCourier[] = [
  c('chinapost', '中国邮政快递包裹', 'China Post Parcel', {
    reachesVillages: true,
    kg: [0, 40],
    rates: {
      local: [800, 200, 2],
      near: [1000, 300, 3],
      mid: [1200, 500, 4],
      far: [1400, 700, 5],
      remote: [2000, 1500, 7],
    },
    dailyCapacity: 3000,
    pickupCutoff: '17:30',
  }),
  c('ems', '邮政 EMS', 'EMS', {
    reachesVillages: true,
    kg: [0, 30],
    rates: {
      local: [1500, 400, 1],
      near: [1800, 600, 2],
      mid: [2000, 800, 3],
      far: [2200, 1000, 3],
      remote: [3000, 2000, 5],
    },
    dailyCapacity: 800,
    pickupCutoff: '17:00',
  }),
  c('sf', '顺丰速运', 'SF Express', {
    reachesVillages: false,
    kg: [0, 30],
    rates: {
      local: [1200, 200, 1],
      near: [1600, 500, 1],
      mid: [2000, 800, 2],
      far: [2300, 1000, 2],
      remote: [2800, 2000, 4],
    },
    dailyCapacity: 1200,
    pickupCutoff: '18:00',
  }),
  c('jd', '京东物流', 'JD Logistics', {
    reachesVillages: true,
    kg: [0, 30],
    rates: {
      local: [1000, 200, 1],
      near: [1400, 500, 2],
      mid: [1600, 700, 2],
      far: [1900, 900, 3],
      remote: [2600, 1800, 5],
    },
    dailyCapacity: 1000,
    pickupCutoff: '18:00',
  }),
  c('zto', '中通快递', 'ZTO Express', {
    excludedCounties: FRANCHISE_GAPS,
    reachesVillages: false,
    kg: [0, 30],
    rates: {
      local: [500, 100, 1],
      near: [600, 200, 2],
      mid: [700, 300, 3],
      far: [800, 400, 3],
      remote: [1800, 1200, 6],
    },
    dailyCapacity: 4000,
    pickupCutoff: '16:30',
  }),
  c('yto', '圆通速递', 'YTO Express', {
    excludedCounties: FRANCHISE_GAPS,
    reachesVillages: false,
    kg: [0, 30],
    rates: {
      local: [500, 100, 1],
      near: [600, 200, 2],
      mid: [700, 300, 3],
      far: [800, 400, 4],
      remote: [2000, 1200, 6],
    },
    dailyCapacity: 3500,
    pickupCutoff: '16:30',
  }),
  c('sto', '申通快递', 'STO Express', {
    provinces: provincesIn('local', 'near', 'mid', 'far'),
    reachesVillages: false,
    kg: [0, 30],
    rates: {
      local: [450, 100, 2],
      near: [550, 200, 2],
      mid: [650, 300, 3],
      far: [750, 400, 4],
    },
    dailyCapacity: 3000,
    pickupCutoff: '16:00',
  }),
  c('yunda', '韵达快递', 'Yunda Express', {
    excludedCounties: FRANCHISE_GAPS,
    reachesVillages: false,
    kg: [0, 30],
    rates: {
      local: [450, 100, 1],
      near: [600, 200, 2],
      mid: [650, 300, 3],
      far: [750, 400, 4],
      remote: [1800, 1300, 7],
    },
    dailyCapacity: 3500,
    pickupCutoff: '16:00',
  }),
  c('jtexpress', '极兔速递', 'J&T Express', {
    provinces: provincesIn('local', 'near', 'mid', 'far'),
    reachesVillages: false,
    kg: [0, 20],
    rates: {
      local: [400, 100, 2],
      near: [500, 200, 3],
      mid: [600, 300, 3],
      far: [700, 400, 4],
    },
    dailyCapacity: 3000,
    pickupCutoff: '16:00',
  }),
  c('deppon', '德邦快递', 'Deppon Express', {
    reachesVillages: false,
    kg: [3, 60],
    rates: {
      local: [1000, 150, 2],
      near: [1500, 250, 3],
      mid: [1800, 350, 3],
      far: [2200, 450, 4],
      remote: [3500, 1000, 7],
    },
    dailyCapacity: 600,
    pickupCutoff: '17:00',
  }),
  c('cainiao', '菜鸟直送', 'Cainiao Direct', {
    provinces: provincesIn('local', 'near', 'mid', 'far'),
    reachesVillages: false,
    kg: [0, 20],
    rates: {
      local: [550, 150, 2],
      near: [650, 250, 2],
      mid: [750, 350, 3],
      far: [850, 450, 4],
    },
    dailyCapacity: 2000,
    pickupCutoff: '17:00',
  }),
  c('kye', '跨越速运', 'KYE Express', {
    provinces: provincesIn('local', 'near', 'mid'),
    reachesVillages: false,
    kg: [0, 50],
    rates: {
      local: [1800, 600, 1],
      near: [2000, 800, 1],
      mid: [2400, 1000, 1],
    },
    dailyCapacity: 300,
    pickupCutoff: '18:30',
  }),
  c('zjs', '宅急送', 'ZJS Express', {
    provinces: provincesIn('local', 'near', 'mid', 'far'),
    reachesVillages: false,
    kg: [0, 30],
    rates: {
      local: [800, 250, 2],
      near: [900, 350, 2],
      mid: [1100, 450, 3],
      far: [1300, 550, 3],
    },
    dailyCapacity: 800,
    pickupCutoff: '16:30',
  }),
];

export interface DemoUser {
  phone: string;
  displayName: string;
  role: 'buyer' | 'streamer' | 'hub_staff' | 'admin';
  /** Streamers: the shop they own. */
  shop?: string;
}

export const DEMO_USERS: DemoUser[] = [
  { phone: '13700000000', displayName: '县电商中心·管理员', role: 'admin' },
  { phone: '13600000001', displayName: '仓库·刘师傅', role: 'hub_staff' },
  { phone: '13600000002', displayName: '仓库·郭姐', role: 'hub_staff' },
  { phone: '13800000001', displayName: '陈晓', role: 'buyer' },
  { phone: '13800000002', displayName: '周明', role: 'buyer' },
  { phone: '13900000001', displayName: '申小花', role: 'streamer', shop: 'xigou-pepper' },
  { phone: '13900000002', displayName: '王建军', role: 'streamer', shop: 'hongti-millet' },
  { phone: '13900000003', displayName: '李秀英', role: 'streamer', shop: 'dongsitou-herbs' },
  { phone: '13900000004', displayName: '张磊', role: 'streamer', shop: 'shicheng-mountain' },
  { phone: '13900000005', displayName: '赵春梅', role: 'streamer', shop: 'longxi-kitchen' },
  { phone: '13900000006', displayName: '牛大爷', role: 'streamer', shop: 'yuejiazhai-honey' },
];

export interface DemoShop {
  slug: string;
  village: string;
  name: LocalizedText;
  story: LocalizedText;
  approved: boolean;
}

export const DEMO_SHOPS: DemoShop[] = [
  {
    slug: 'xigou-pepper',
    village: 'PS-XIGOU',
    name: { zh: '西沟大红袍花椒合作社', en: 'Xigou Dahongpao Pepper Co-op' },
    story: {
      zh: '西沟村海拔一千二百米的向阳坡上种了三百亩大红袍花椒，七月底手工采摘，当天晾晒，颗粒饱满、麻香持久。',
      en: 'Three hundred mu of Dahongpao pepper on the sunny slopes above Xigou, 1,200 m up; hand-picked in late July and sun-dried the same day.',
    },
    approved: true,
  },
  {
    slug: 'hongti-millet',
    village: 'PS-HONGTIGUAN',
    name: { zh: '虹梯关杂粮坊', en: 'Hongtiguan Grain House' },
    story: {
      zh: '太行山旱地里长出来的小米和杂粮，不施化肥，石碾去壳，熬粥有一层厚厚的米油。',
      en: 'Millet and coarse grains from dry Taihang terraces, no chemical fertiliser, hulled on a stone mill; the porridge grows a thick skin.',
    },
    approved: true,
  },
  {
    slug: 'dongsitou-herbs',
    village: 'PS-DONGSITOU',
    name: { zh: '东寺头潞党参药材社', en: 'Dongsitou Codonopsis Herb Co-op' },
    story: {
      zh: '平顺潞党参是国家地理标志产品。我们的党参和连翘都经过县药材质检站检测，批批可追溯。',
      en: 'Pingshun codonopsis is a national geographical indication. Our codonopsis and forsythia pass the county herb testing station, every batch traceable.',
    },
    approved: true,
  },
  {
    slug: 'shicheng-mountain',
    village: 'PS-SHICHENG',
    name: { zh: '石城太行山货铺', en: 'Shicheng Taihang Mountain Goods' },
    story: {
      zh: '石城镇在太行大峡谷边上，核桃、柿饼、黑木耳都是乡亲们秋天从山里收回来的。',
      en: 'Shicheng sits on the rim of the Taihang canyon; walnuts, dried persimmons and wood ear are gathered by neighbours every autumn.',
    },
    approved: true,
  },
  {
    slug: 'longxi-kitchen',
    village: 'PS-LONGXI',
    name: { zh: '龙溪农家厨房', en: 'Longxi Farm Kitchen' },
    story: {
      zh: '龙溪的婶子们按老方子做挂面、黄米糕和辣酱，小批量现做现发。',
      en: 'The aunties of Longxi make noodles, millet cakes and chili sauce from old family recipes, in small fresh batches.',
    },
    approved: true,
  },
  {
    slug: 'yuejiazhai-honey',
    village: 'PS-YUEJIAZHAI',
    name: { zh: '岳家寨荆条蜂蜜小院', en: 'Yuejiazhai Vitex Honey Yard' },
    story: {
      zh: '悬崖上的岳家寨，家家养中蜂，荆条花开时摇出的蜂蜜清香不腻。新开店，等待县里审核。',
      en: 'Every family in cliff-top Yuejiazhai keeps bees; the vitex-blossom honey is light and fragrant. A new shop awaiting county approval.',
    },
    approved: false,
  },
];

export interface DemoSku {
  code: string;
  spec: LocalizedText;
  priceFen: number;
  weightGrams: number;
  stock: number;
}

export interface DemoProduct {
  slug: string;
  shop: string;
  village: string;
  category: 'pepper' | 'sauce' | 'grain' | 'herb' | 'tea' | 'nuts' | 'honey' | 'dried' | 'noodles';
  title: LocalizedText;
  description: LocalizedText;
  featured?: boolean;
  skus: DemoSku[];
}

const s = (
  code: string,
  zh: string,
  en: string,
  priceFen: number,
  weightGrams: number,
  stock: number,
): DemoSku => ({
  code,
  spec: { zh, en },
  priceFen,
  weightGrams,
  stock,
});

export const DEMO_PRODUCTS: DemoProduct[] = [
  {
    slug: 'dahongpao-sichuan-pepper',
    shop: 'xigou-pepper',
    village: 'PS-XIGOU',
    category: 'pepper',
    featured: true,
    title: { zh: '平顺大红袍花椒', en: 'Pingshun Dahongpao Sichuan Pepper' },
    description: {
      zh: '颗粒大、色泽红、麻味足。七月底采摘，日晒去籽，炖肉、炝锅、做花椒油都好用。',
      en: 'Large, deep-red husks with a strong numbing aroma. Picked in late July, sun-dried and de-seeded; for braises, stir-fries and pepper oil.',
    },
    skus: [
      s('HJ-DHP-TJ-250', '特级 250g', 'Premium 250 g', 3880, 300, 300),
      s('HJ-DHP-TJ-500', '特级 500g', 'Premium 500 g', 6980, 560, 200),
      s('HJ-DHP-YJ-500', '一级 500g', 'Grade 1 500 g', 4980, 560, 400),
    ],
  },
  {
    slug: 'pepper-sprout-chili-sauce',
    shop: 'xigou-pepper',
    village: 'PS-XIGOU',
    category: 'sauce',
    featured: true,
    title: { zh: '花椒芽菜辣酱', en: 'Pepper-Sprout Chili Sauce' },
    description: {
      zh: '春天掐下的嫩花椒芽，配本地辣椒和菜籽油慢火熬制，拌面夹馍都香。',
      en: 'Tender spring pepper sprouts slow-cooked with local chilies in rapeseed oil; for noodles and flatbread.',
    },
    skus: [
      s('LJ-HJY-WL-210', '微辣 210g', 'Mild 210 g', 1990, 380, 500),
      s('LJ-HJY-TL-210', '特辣 210g', 'Extra hot 210 g', 1990, 380, 300),
      s('LJ-HJY-GIFT-6', '礼盒 6 瓶', 'Gift box of 6 jars', 10800, 2400, 80),
    ],
  },
  {
    slug: 'sichuan-pepper-powder',
    shop: 'xigou-pepper',
    village: 'PS-XIGOU',
    category: 'pepper',
    title: { zh: '现磨花椒粉', en: 'Freshly Ground Sichuan Pepper' },
    description: {
      zh: '大红袍花椒低温研磨，开袋即用。',
      en: 'Dahongpao pepper ground cold, ready to use.',
    },
    skus: [s('HJ-FEN-100', '100g 袋装', '100 g pouch', 1580, 130, 250)],
  },
  {
    slug: 'sichuan-pepper-oil',
    shop: 'xigou-pepper',
    village: 'PS-XIGOU',
    category: 'sauce',
    title: { zh: '大红袍花椒油', en: 'Dahongpao Pepper Oil' },
    description: {
      zh: '鲜花椒冷榨浸油，凉拌菜滴几滴就够麻。',
      en: 'Fresh pepper infused in cold-pressed oil; a few drops numb a whole salad.',
    },
    skus: [s('HJ-OIL-250', '250ml', '250 ml', 2280, 420, 150)],
  },
  {
    slug: 'pepper-leaf-tea',
    shop: 'xigou-pepper',
    village: 'PS-NANSAI',
    category: 'tea',
    title: { zh: '花椒叶茶', en: 'Pepper Leaf Tea' },
    description: {
      zh: '南赛村花椒嫩叶杀青揉捻，微麻回甘。',
      en: 'Young pepper leaves from Nansai, pan-fired and rolled; faintly numbing, sweet finish.',
    },
    skus: [s('CHA-HJY-50', '50g 罐装', '50 g tin', 2580, 150, 120)],
  },
  {
    slug: 'qinzhouhuang-millet',
    shop: 'hongti-millet',
    village: 'PS-HONGTIGUAN',
    category: 'grain',
    featured: true,
    title: { zh: '沁州黄小米', en: 'Qinzhouhuang Yellow Millet' },
    description: {
      zh: '沁州黄品种，旱地种植，米粒金黄，熬粥软糯有米油。',
      en: 'The Qinzhouhuang variety grown on dry land: golden grains, a soft porridge with a rich skin.',
    },
    skus: [
      s('XM-QZH-1KG', '1kg', '1 kg', 3280, 1050, 400),
      s('XM-QZH-2500', '2.5kg', '2.5 kg', 7580, 2600, 200),
      s('XM-QZH-5KG', '5kg 家庭装', '5 kg family pack', 13800, 5150, 60),
    ],
  },
  {
    slug: 'dryland-yellow-millet',
    shop: 'hongti-millet',
    village: 'PS-BEIDANCHE',
    category: 'grain',
    title: { zh: '旱地黄小米', en: 'Dry-Terrace Yellow Millet' },
    description: {
      zh: '北耽车旱垣地小米，日常煮粥最实惠。',
      en: 'Everyday millet from the dry terraces of Beidanche.',
    },
    skus: [s('XM-HD-2500', '2.5kg', '2.5 kg', 4980, 2600, 300)],
  },
  {
    slug: 'tartary-buckwheat-noodles',
    shop: 'hongti-millet',
    village: 'PS-HONGTIGUAN',
    category: 'noodles',
    title: { zh: '苦荞面', en: 'Tartary Buckwheat Flour' },
    description: {
      zh: '高山苦荞石磨成面，可做饸饹、猫耳朵。',
      en: 'Highland tartary buckwheat stone-milled into flour, for hele noodles and cat-ear pasta.',
    },
    skus: [s('ZL-KQM-1KG', '1kg', '1 kg', 2680, 1050, 200)],
  },
  {
    slug: 'red-adzuki-beans',
    shop: 'hongti-millet',
    village: 'PS-HONGTIGUAN',
    category: 'grain',
    title: { zh: '红小豆', en: 'Red Adzuki Beans' },
    description: {
      zh: '颗粒匀净，煮粥做豆沙都好。',
      en: 'Even, clean beans for porridge and red-bean paste.',
    },
    skus: [s('ZL-HXD-1KG', '1kg', '1 kg', 1880, 1050, 250)],
  },
  {
    slug: 'five-grain-gift-box',
    shop: 'hongti-millet',
    village: 'PS-HONGTIGUAN',
    category: 'grain',
    title: { zh: '太行五谷杂粮礼盒', en: 'Taihang Five-Grain Gift Box' },
    description: {
      zh: '小米、红豆、绿豆、荞麦、玉米糁，七袋装。',
      en: 'Millet, red beans, mung beans, buckwheat and corn grits, seven bags.',
    },
    skus: [s('ZL-GIFT-3500', '3.5kg 礼盒', '3.5 kg gift box', 12800, 3900, 80)],
  },
  {
    slug: 'pingshun-codonopsis',
    shop: 'dongsitou-herbs',
    village: 'PS-DONGSITOU',
    category: 'herb',
    featured: true,
    title: { zh: '平顺潞党参', en: 'Pingshun Lu Codonopsis' },
    description: {
      zh: '地理标志产品，三年生，根条粗壮、味甜。煲汤泡水皆宜。',
      en: 'A geographical-indication product: three-year roots, thick and sweet, for soups and infusions.',
    },
    skus: [
      s('YC-DS-TJ-250', '特级 250g', 'Premium 250 g', 8800, 300, 150),
      s('YC-DS-QP-100', '切片 100g', 'Sliced 100 g', 3980, 130, 200),
    ],
  },
  {
    slug: 'forsythia-tea',
    shop: 'dongsitou-herbs',
    village: 'PS-DONGSITOU',
    category: 'tea',
    featured: true,
    title: { zh: '连翘茶', en: 'Forsythia Leaf Tea' },
    description: {
      zh: '太行山野生连翘嫩叶，清明前采制。',
      en: 'Young leaves of wild Taihang forsythia, picked before Qingming.',
    },
    skus: [
      s('CHA-LQ-50', '50g', '50 g', 3680, 150, 200),
      s('CHA-LQ-100', '100g', '100 g', 6580, 260, 100),
    ],
  },
  {
    slug: 'scutellaria-tea',
    shop: 'dongsitou-herbs',
    village: 'PS-MIAOZHUANG',
    category: 'tea',
    title: { zh: '黄芩茶', en: 'Scutellaria Tea' },
    description: {
      zh: '苗庄黄芩叶茶，汤色金黄。',
      en: 'Skullcap leaf tea from Miaozhuang, a golden infusion.',
    },
    skus: [s('CHA-HQ-50', '50g', '50 g', 2880, 150, 150)],
  },
  {
    slug: 'astragalus-slices',
    shop: 'dongsitou-herbs',
    village: 'PS-DONGSITOU',
    category: 'herb',
    title: { zh: '黄芪片', en: 'Astragalus Slices' },
    description: { zh: '斜切厚片，泡水煲汤。', en: 'Thick diagonal slices for tea and soup.' },
    skus: [s('YC-HQP-250', '250g', '250 g', 4580, 300, 120)],
  },
  {
    slug: 'taihang-walnuts',
    shop: 'shicheng-mountain',
    village: 'PS-SHICHENG',
    category: 'nuts',
    featured: true,
    title: { zh: '太行山薄皮核桃', en: 'Taihang Thin-Shell Walnuts' },
    description: {
      zh: '手一捏就开，仁白肉香。',
      en: 'Shells crack in the hand; pale, fragrant kernels.',
    },
    skus: [
      s('GH-HT-1KG', '1kg', '1 kg', 3980, 1100, 300),
      s('GH-HT-2500', '2.5kg', '2.5 kg', 8800, 2700, 100),
    ],
  },
  {
    slug: 'taihang-wild-honey',
    shop: 'shicheng-mountain',
    village: 'PS-YUEJIAZHAI',
    category: 'honey',
    title: { zh: '太行山土蜂蜜', en: 'Taihang Wildflower Honey' },
    description: {
      zh: '中华蜂百花蜜，一年只摇一次。',
      en: 'Asian honeybee wildflower honey, harvested once a year.',
    },
    skus: [s('FM-TFM-500', '500g', '500 g', 6800, 700, 120)],
  },
  {
    slug: 'dried-persimmons',
    shop: 'shicheng-mountain',
    village: 'PS-SHICHENG',
    category: 'dried',
    title: { zh: '石城柿饼', en: 'Shicheng Dried Persimmons' },
    description: {
      zh: '霜降后摘柿子，挂在屋檐下晾出白霜。',
      en: 'Picked after the first frost and hung under the eaves until they bloom white.',
    },
    skus: [s('GH-SB-500', '500g', '500 g', 3280, 600, 200)],
  },
  {
    slug: 'black-wood-ear',
    shop: 'shicheng-mountain',
    village: 'PS-SHICHENG',
    category: 'dried',
    title: { zh: '太行黑木耳', en: 'Taihang Black Wood Ear' },
    description: {
      zh: '椴木黑木耳，泡发率高。',
      en: 'Log-grown wood ear fungus that swells generously.',
    },
    skus: [s('GH-MR-250', '250g', '250 g', 4280, 320, 150)],
  },
  {
    slug: 'mountain-hazelnuts',
    shop: 'shicheng-mountain',
    village: 'PS-SHICHENG',
    category: 'nuts',
    title: { zh: '野生榛子', en: 'Wild Hazelnuts' },
    description: {
      zh: '开口榛子，炒制微咸。',
      en: 'Open-shell hazelnuts, roasted with a little salt.',
    },
    skus: [s('GH-ZZ-500', '500g', '500 g', 5280, 600, 100)],
  },
  {
    slug: 'handmade-noodles',
    shop: 'longxi-kitchen',
    village: 'PS-LONGXI',
    category: 'noodles',
    title: { zh: '龙溪手工挂面', en: 'Longxi Hand-Pulled Dried Noodles' },
    description: {
      zh: '和面、盘条、上杆、晾晒，一天只做一案。',
      en: 'Mixed, coiled, stretched on poles and dried in the sun; one batch a day.',
    },
    skus: [s('MS-GM-2KG', '2kg', '2 kg', 3580, 2100, 200)],
  },
  {
    slug: 'yellow-millet-cake',
    shop: 'longxi-kitchen',
    village: 'PS-LONGXI',
    category: 'grain',
    title: { zh: '黄米糕', en: 'Yellow Millet Cake' },
    description: {
      zh: '软黄米蒸制，油炸或蒸热都香甜。',
      en: 'Steamed glutinous millet cake, sweet fried or steamed.',
    },
    skus: [s('MS-HMG-1KG', '1kg', '1 kg', 2980, 1100, 100)],
  },
  {
    slug: 'roasted-pumpkin-seeds',
    shop: 'longxi-kitchen',
    village: 'PS-XINGCHENG',
    category: 'nuts',
    title: { zh: '农家南瓜子', en: 'Farmhouse Pumpkin Seeds' },
    description: {
      zh: '杏城自家种的南瓜，籽大饱满。',
      en: 'Big, full seeds from Xingcheng farmhouse pumpkins.',
    },
    skus: [s('GH-NGZ-500', '500g', '500 g', 2580, 550, 200)],
  },
  {
    slug: 'shiitake-chili-sauce',
    shop: 'longxi-kitchen',
    village: 'PS-LONGXI',
    category: 'sauce',
    title: { zh: '香菇辣酱', en: 'Shiitake Chili Sauce' },
    description: {
      zh: '香菇丁和辣椒一起熬，下饭神器。',
      en: 'Diced shiitake cooked down with chili; rice disappears.',
    },
    skus: [s('LJ-XG-200', '200g', '200 g', 1680, 360, 300)],
  },
  {
    slug: 'vitex-honey',
    shop: 'yuejiazhai-honey',
    village: 'PS-YUEJIAZHAI',
    category: 'honey',
    title: { zh: '岳家寨荆条蜜', en: 'Yuejiazhai Vitex Honey' },
    description: {
      zh: '荆条花期摇蜜，清香不腻。',
      en: 'Honey from the vitex bloom, light and fragrant.',
    },
    skus: [s('FM-JT-500', '500g', '500 g', 5800, 700, 100)],
  },
];

export interface DemoProducer {
  registrationCode: string;
  name: string;
  kind: 'farmer' | 'cooperative';
  village: string;
  person: string;
  phone: string;
  /** The shops that sell this producer's produce. */
  shops: string[];
}

/** One producing cooperative behind each village shop, and two farmers who deliver to them. */
export const DEMO_PRODUCERS: DemoProducer[] = [
  {
    registrationCode: '93140425MA0PS001',
    name: '西沟村花椒专业合作社',
    kind: 'cooperative',
    village: 'PS-XIGOU',
    person: '申小花',
    phone: '13900000001',
    shops: ['xigou-pepper'],
  },
  {
    registrationCode: '93140425MA0PS002',
    name: '虹梯关小米种植合作社',
    kind: 'cooperative',
    village: 'PS-HONGTIGUAN',
    person: '王建军',
    phone: '13900000002',
    shops: ['hongti-millet'],
  },
  {
    registrationCode: '93140425MA0PS003',
    name: '东寺头党参种植合作社',
    kind: 'cooperative',
    village: 'PS-DONGSITOU',
    person: '李秀英',
    phone: '13900000003',
    shops: ['dongsitou-herbs'],
  },
  {
    registrationCode: '93140425MA0PS004',
    name: '石城山货合作社',
    kind: 'cooperative',
    village: 'PS-SHICHENG',
    person: '张磊',
    phone: '13900000004',
    shops: ['shicheng-mountain'],
  },
  {
    registrationCode: '93140425MA0PS005',
    name: '龙溪农家食品合作社',
    kind: 'cooperative',
    village: 'PS-LONGXI',
    person: '赵春梅',
    phone: '13900000005',
    shops: ['longxi-kitchen'],
  },
  {
    registrationCode: '93140425MA0PS006',
    name: '岳家寨养蜂合作社',
    kind: 'cooperative',
    village: 'PS-YUEJIAZHAI',
    person: '牛大爷',
    phone: '13900000006',
    shops: ['yuejiazhai-honey'],
  },
  {
    registrationCode: '140425-NH-0117',
    name: '郭二柱（花椒种植户）',
    kind: 'farmer',
    village: 'PS-NANSAI',
    person: '郭二柱',
    phone: '13935500117',
    shops: ['xigou-pepper'],
  },
  {
    registrationCode: '140425-NH-0233',
    name: '宋桂兰（小米种植户）',
    kind: 'farmer',
    village: 'PS-HONGTIGUAN',
    person: '宋桂兰',
    phone: '13935500233',
    shops: ['hongti-millet'],
  },
];
