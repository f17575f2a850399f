// Draws the demo product and shop pictures as small SVG files under public/demo/ (committed;
// run again only when the demo catalogue changes). No network, no fonts: shapes only.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../server/core/config.ts';
import { DEMO_PRODUCTS, DEMO_SHOPS, type DemoProduct } from '../server/seed/demo-county.ts';

const W = 640;
const H = 480;

const PALETTE: Record<DemoProduct['category'], { bg: string; main: string; accent: string }> = {
  pepper: { bg: '#fbe3d9', main: '#b3261e', accent: '#3a6b35' },
  sauce: { bg: '#fde9d2', main: '#c2410c', accent: '#7c2d12' },
  grain: { bg: '#fdf3c7', main: '#e0a100', accent: '#8a5a00' },
  herb: { bg: '#efe6d8', main: '#a0703c', accent: '#5b3a1a' },
  tea: { bg: '#e4f0dc', main: '#4d7c2f', accent: '#2f4f1c' },
  nuts: { bg: '#f1e4d3', main: '#8b5e34', accent: '#4a2f17' },
  honey: { bg: '#fff1c9', main: '#e8a317', accent: '#9a6200' },
  dried: { bg: '#fde4cc', main: '#d9631e', accent: '#5d3a1a' },
  noodles: { bg: '#f8f1e3', main: '#e6c27a', accent: '#8c6a2d' },
};

/** A small deterministic random sequence, so redrawing gives the same pictures. */
function rng(seed: string) {
  let h = 2166136261;
  for (const ch of seed) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return () => {
    h = Math.imul(h ^ (h >>> 15), 2246822507) ^ Math.imul(h ^ (h >>> 13), 3266489909);
    return ((h >>>= 0) % 10000) / 10000;
  };
}

function motif(category: DemoProduct['category'], seed: string): string {
  const p = PALETTE[category];
  const r = rng(seed);
  const dots = (n: number, cx: number, cy: number, spread: number, rad: number, fill: string) =>
    Array.from({ length: n }, () => {
      const a = r() * Math.PI * 2;
      const d = Math.sqrt(r()) * spread;
      return `<circle cx="${(cx + Math.cos(a) * d).toFixed(0)}" cy="${(cy + Math.sin(a) * d * 0.6).toFixed(0)}" r="${(rad * (0.7 + r() * 0.5)).toFixed(0)}" fill="${fill}"/>`;
    }).join('');
  const bowl = `<path d="M150 260 Q320 470 490 260 Z" fill="#fff" stroke="${p.accent}" stroke-width="8"/>`;
  const jar = (label: string) =>
    `<rect x="230" y="150" width="180" height="230" rx="28" fill="${p.main}"/><rect x="245" y="118" width="150" height="44" rx="10" fill="${p.accent}"/><rect x="255" y="220" width="130" height="90" rx="10" fill="${label}"/>`;
  switch (category) {
    case 'pepper':
      return (
        `<path d="M160 360 C260 300 360 240 470 150" stroke="${p.accent}" stroke-width="10" fill="none"/>` +
        dots(60, 330, 250, 150, 18, p.main) +
        dots(25, 330, 250, 140, 7, '#2b0b08')
      );
    case 'grain':
      return dots(200, 320, 250, 150, 9, p.main) + bowl + dots(140, 320, 300, 120, 8, p.main);
    case 'herb':
      return Array.from(
        { length: 6 },
        (_, i) =>
          `<path d="M${200 + i * 45} 120 C${190 + i * 45 + r() * 40} 240 ${210 + i * 45} 320 ${200 + i * 45 + r() * 30} 400" stroke="${i % 2 ? p.main : p.accent}" stroke-width="${14 + r() * 10}" fill="none" stroke-linecap="round"/>`,
      ).join('');
    case 'tea':
      return (
        `<ellipse cx="320" cy="330" rx="150" ry="45" fill="#fff" stroke="${p.accent}" stroke-width="8"/><path d="M190 220 h260 v90 q-130 70 -260 0 z" fill="#fff" stroke="${p.accent}" stroke-width="8"/>` +
        Array.from(
          { length: 7 },
          () =>
            `<ellipse cx="${180 + r() * 280}" cy="${110 + r() * 90}" rx="32" ry="13" transform="rotate(${r() * 180} ${180 + r() * 280} ${110 + r() * 90})" fill="${p.main}"/>`,
        ).join('')
      );
    case 'nuts':
      return Array.from(
        { length: 16 },
        () =>
          `<ellipse cx="${170 + r() * 300}" cy="${150 + r() * 200}" rx="${34 + r() * 10}" ry="${28 + r() * 8}" fill="${r() > 0.5 ? p.main : p.accent}" stroke="#fff" stroke-width="3"/>`,
      ).join('');
    case 'honey':
      return jar('#fff7df') + `<path d="M250 160 q10 40 0 60 q-10 -20 0 -60" fill="${p.main}"/>`;
    case 'sauce':
      return jar('#fff') + dots(12, 320, 265, 45, 10, p.main);
    case 'dried':
      return Array.from(
        { length: 7 },
        (_, i) =>
          `<circle cx="${200 + (i % 4) * 80}" cy="${190 + Math.floor(i / 4) * 120}" r="48" fill="${p.main}" stroke="#fff8ee" stroke-width="10"/>`,
      ).join('');
    case 'noodles':
      return (
        Array.from(
          { length: 22 },
          (_, i) =>
            `<line x1="${200 + i * 11}" y1="110" x2="${195 + i * 11 + r() * 10}" y2="390" stroke="${i % 3 ? p.main : p.accent}" stroke-width="6" stroke-linecap="round"/>`,
        ).join('') + `<rect x="190" y="225" width="262" height="40" rx="8" fill="${p.accent}"/>`
      );
  }
}

function svg(bg: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}"><rect width="${W}" height="${H}" fill="${bg}"/><path d="M0 ${H - 70} Q${W / 3} ${H - 120} ${W} ${H - 60} V${H} H0 Z" fill="#ffffff" opacity=".45"/>${body}</svg>\n`;
}

const productsDir = path.join(PROJECT_ROOT, 'public/demo/products');
const shopsDir = path.join(PROJECT_ROOT, 'public/demo/shops');
mkdirSync(productsDir, { recursive: true });
mkdirSync(shopsDir, { recursive: true });
for (const product of DEMO_PRODUCTS) {
  writeFileSync(
    path.join(productsDir, `${product.slug}.svg`),
    svg(PALETTE[product.category].bg, motif(product.category, product.slug)),
  );
}
for (const shop of DEMO_SHOPS) {
  const first = DEMO_PRODUCTS.find((p) => p.shop === shop.slug);
  const category = first?.category ?? 'grain';
  const hills = `<path d="M0 330 L140 200 L260 300 L400 150 L640 320 V480 H0 Z" fill="${PALETTE[category].accent}" opacity=".35"/>`;
  writeFileSync(
    path.join(shopsDir, `${shop.slug}.svg`),
    svg(PALETTE[category].bg, hills + motif(category, shop.slug)),
  );
}
process.stdout.write(
  `drew ${DEMO_PRODUCTS.length} product and ${DEMO_SHOPS.length} shop pictures\n`,
);
