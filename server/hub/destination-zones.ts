// Destination zones as seen from the county hub in Pingshun, Shanxi. Couriers price and promise
// by zone, so every mainland province maps to exactly one zone. Hong Kong, Macau and Taiwan are
// not served from the hub and have no zone.

export const DESTINATION_ZONES = ['local', 'near', 'mid', 'far', 'remote'] as const;
export type DestinationZone = (typeof DESTINATION_ZONES)[number];

export function isDestinationZone(value: unknown): value is DestinationZone {
  return typeof value === 'string' && (DESTINATION_ZONES as readonly string[]).includes(value);
}

interface Province {
  /** The short name used everywhere in Cunbo's data: 山西, 内蒙古, 广西. */
  short: string;
  en: string;
  zone: DestinationZone;
}

const PROVINCES: readonly Province[] = [
  { short: '山西', en: 'Shanxi', zone: 'local' },

  { short: '北京', en: 'Beijing', zone: 'near' },
  { short: '天津', en: 'Tianjin', zone: 'near' },
  { short: '河北', en: 'Hebei', zone: 'near' },
  { short: '河南', en: 'Henan', zone: 'near' },
  { short: '山东', en: 'Shandong', zone: 'near' },
  { short: '陕西', en: 'Shaanxi', zone: 'near' },
  { short: '内蒙古', en: 'Inner Mongolia', zone: 'near' },

  { short: '辽宁', en: 'Liaoning', zone: 'mid' },
  { short: '吉林', en: 'Jilin', zone: 'mid' },
  { short: '上海', en: 'Shanghai', zone: 'mid' },
  { short: '江苏', en: 'Jiangsu', zone: 'mid' },
  { short: '浙江', en: 'Zhejiang', zone: 'mid' },
  { short: '安徽', en: 'Anhui', zone: 'mid' },
  { short: '江西', en: 'Jiangxi', zone: 'mid' },
  { short: '湖北', en: 'Hubei', zone: 'mid' },
  { short: '湖南', en: 'Hunan', zone: 'mid' },
  { short: '重庆', en: 'Chongqing', zone: 'mid' },
  { short: '四川', en: 'Sichuan', zone: 'mid' },
  { short: '宁夏', en: 'Ningxia', zone: 'mid' },
  { short: '甘肃', en: 'Gansu', zone: 'mid' },

  { short: '黑龙江', en: 'Heilongjiang', zone: 'far' },
  { short: '福建', en: 'Fujian', zone: 'far' },
  { short: '广东', en: 'Guangdong', zone: 'far' },
  { short: '广西', en: 'Guangxi', zone: 'far' },
  { short: '海南', en: 'Hainan', zone: 'far' },
  { short: '贵州', en: 'Guizhou', zone: 'far' },
  { short: '云南', en: 'Yunnan', zone: 'far' },

  { short: '新疆', en: 'Xinjiang', zone: 'remote' },
  { short: '西藏', en: 'Tibet', zone: 'remote' },
  { short: '青海', en: 'Qinghai', zone: 'remote' },
];

/** In a courier's coverage: every mainland province. */
export const ALL_PROVINCES = '*';

/** The 31 mainland provinces, municipalities and autonomous regions, by short name. */
export const MAINLAND_PROVINCES: readonly string[] = PROVINCES.map((p) => p.short);

// Full official names only add one of these to the short name (广西壮族自治区 = 广西 + 壮族自治区).
const CHINESE_SUFFIXES = ['', '省', '市', '自治区', '壮族自治区', '回族自治区', '维吾尔自治区'];
const ENGLISH_SUFFIXES =
  /\s+(province|municipality|(zhuang |hui |uygur |uyghur )?autonomous region|sar)$/;
const ENGLISH_ALIASES: Record<string, string> = { xizang: '西藏', 'nei mongol': '内蒙古' };

const byName = new Map<string, Province>();
for (const province of PROVINCES) {
  for (const suffix of CHINESE_SUFFIXES) byName.set(province.short + suffix, province);
  byName.set(province.en.toLowerCase(), province);
}
for (const [alias, short] of Object.entries(ENGLISH_ALIASES)) byName.set(alias, byName.get(short)!);

function lookup(name: string): Province | undefined {
  const trimmed = name.trim().replace(/\s+/g, ' ');
  return (
    byName.get(trimmed) ?? byName.get(trimmed.toLowerCase().replace(ENGLISH_SUFFIXES, '').trim())
  );
}

/** "北京市", "北京", "广西壮族自治区", "Inner Mongolia" → the short name; undefined if not mainland. */
export function normaliseProvince(name: string): string | undefined {
  return lookup(name)?.short;
}

/** The zone a parcel to `province` travels to from the hub; undefined outside the mainland. */
export function zoneFor(province: string): DestinationZone | undefined {
  return lookup(province)?.zone;
}

export function provinceNameEn(shortName: string): string | undefined {
  return byName.get(shortName)?.en;
}
