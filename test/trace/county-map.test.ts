import { statSync } from 'node:fs';
import { expect } from 'chai';
import sharp from 'sharp';
import { DEMO_VILLAGES } from '../../server/seed/demo-county.ts';
import { COUNTY_MAP, renderCountyMap } from '../../server/trace/county-map.ts';

type Point = [x: number, y: number];

/** Ray casting: count the outline's edges crossed by a ray going east from the point. */
function isInside([x, y]: Point, outline: Point[]): boolean {
  let inside = false;
  for (let i = 0, j = outline.length - 1; i < outline.length; j = i++) {
    const [xi, yi] = outline[i]!;
    const [xj, yj] = outline[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Tags open and close in order; self-closing ones stand alone. Throws on the first mismatch. */
function assertBalancedTags(svg: string): void {
  const open: string[] = [];
  for (const [, closing, name, selfClosing] of svg.matchAll(/<(\/?)([a-zA-Z]+)[^<>]*?(\/?)>/g)) {
    if (selfClosing) continue;
    if (!closing) open.push(name!);
    else expect(open.pop(), `</${name}>`).to.equal(name);
  }
  expect(open, 'unclosed tags').to.deep.equal([]);
}

const xigouOnTracePage = () =>
  renderCountyMap({
    locale: 'zh-CN',
    title: '产地：平顺县西沟乡西沟村',
    highlight: { x: 330, y: 300, label: '西沟村' },
  });

describe('county map on the trace page', () => {
  it('puts every demo village inside the county outline', () => {
    expect(COUNTY_MAP.outline.length).to.be.within(30, 60);
    for (const village of DEMO_VILLAGES) {
      const { x, y } = village.mapPoint;
      expect(isInside([x, y], COUNTY_MAP.outline), village.code).to.equal(true);
    }
  });

  it('draws the outline clockwise and keeps every town, the hub and the rivers in the county', () => {
    // The shoelace sum is positive for a clockwise ring when y grows downwards, as in SVG.
    const { outline } = COUNTY_MAP;
    const twiceArea = outline.reduce((sum, [x1, y1], i) => {
      const [x2, y2] = outline[(i + 1) % outline.length]!;
      return sum + x1 * y2 - x2 * y1;
    }, 0);
    expect(twiceArea).to.be.greaterThan(0);

    const places = [COUNTY_MAP.countySeat, COUNTY_MAP.hub, ...COUNTY_MAP.townships];
    for (const place of places) {
      expect(isInside([place.x, place.y], outline), place.name.en).to.equal(true);
    }
    const lines = [...COUNTY_MAP.rivers, ...COUNTY_MAP.roads];
    for (const line of lines) {
      for (const point of line.points.slice(1, -1)) {
        expect(isInside(point, outline), line.name.en).to.equal(true);
      }
    }
  });

  it("shows each demo village's township near the village", () => {
    const towns = [COUNTY_MAP.countySeat, ...COUNTY_MAP.townships];
    for (const village of DEMO_VILLAGES) {
      const town = towns.find((place) => place.name.zh === village.township.zh);
      expect(town, village.township.zh).to.not.equal(undefined);
      const { x, y } = village.mapPoint;
      expect(Math.hypot(town!.x - x, town!.y - y), village.code).to.be.below(120);
    }
  });

  it('ships a small data file of [x, y] points in the 0–1000 box', () => {
    const bytes = statSync(
      new URL('../../server/trace/county-map-data.json', import.meta.url),
    ).size;
    expect(bytes).to.be.below(8 * 1024);

    const { outline, rivers, roads, mountains, countySeat, hub, townships } = COUNTY_MAP;
    const points = [outline, mountains.peaks, ...[...rivers, ...roads].map((line) => line.points)];
    for (const point of points.flat()) {
      expect(point).to.have.length(2);
      for (const coordinate of point) expect(coordinate).to.be.within(0, 1000);
    }
    const anchors = [
      countySeat,
      hub,
      ...townships,
      mountains.labelAt,
      ...rivers.map((r) => r.labelAt),
    ];
    for (const anchor of anchors) {
      expect(anchor.labelSide).to.be.oneOf(['left', 'right', 'above', 'below']);
    }
  });

  it('renders a small, self-contained, accessible SVG that rasterises', async () => {
    const svg = xigouOnTracePage();
    expect(Buffer.byteLength(svg)).to.be.below(6 * 1024);
    expect(svg).to.match(/^<svg [^>]*viewBox="0 0 1000 1000"[^>]*role="img"/);
    expect(svg).to.contain('<title>产地：平顺县西沟乡西沟村</title>');
    expect(svg).to.contain('西沟村').and.to.contain('青羊镇').and.to.contain('物流中心');
    expect(svg.replaceAll('http://www.w3.org/2000/svg', '')).to.not.match(/http|href|url\(/i);
    expect(svg).to.not.match(/<script|<image|<foreignObject|\son[a-z]+=/i);
    assertBalancedTags(svg);

    const png = await sharp(Buffer.from(svg)).png().toBuffer();
    const { width, height } = await sharp(png).metadata();
    expect([width, height]).to.deep.equal([1000, 1000]);
  });

  it('draws the English map for an English buyer', () => {
    const svg = renderCountyMap({
      locale: 'en',
      title: 'Origin',
      highlight: { x: 600, y: 230, label: 'Dongsitou' },
    });
    expect(svg).to.contain('Pingshun County').and.to.contain('Qingyang').and.to.contain('Hub');
    expect(svg).to.not.contain('青羊镇');
  });

  it('escapes the title and the village label', async () => {
    const svg = renderCountyMap({
      locale: 'en',
      title: 'Tom & Jerry <farm>',
      highlight: { x: 450, y: 520, label: '<b>"Longxi" & Sons\'</b>' },
    });
    expect(svg).to.contain('Tom &#38; Jerry &#60;farm&#62;');
    expect(svg).to.contain('&#60;b&#62;&#34;Longxi&#34; &#38; Sons&#39;&#60;/b&#62;');
    expect(svg).to.not.contain('<b>').and.to.not.contain('<farm>');
    assertBalancedTags(svg);
    await sharp(Buffer.from(svg)).png().toBuffer();
  });

  it('draws the same map every time, and a plain county map without a village', () => {
    expect(xigouOnTracePage()).to.equal(xigouOnTracePage());
    const plain = renderCountyMap({ locale: 'zh-CN', title: '平顺县' });
    expect(plain).to.not.contain('#b3261e'); // the pin is the only red on the map
    expect(plain).to.contain('西沟乡');
  });
});
