// Demo certifications: one of each case the storefront must get right (a verified 地理标志 that
// shows, a green-food one still waiting for review, an organic one verified but expired).
// Numbers are made up for the demo, like the shops.
import type { CertificationKind } from '../trace/certification.model.ts';

export interface DemoCertification {
  shop: string;
  products: string[];
  kind: CertificationKind;
  number: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  status: 'pending' | 'verified';
  /** The first lines of the generated demo certificate (ASCII: the PDF uses a built-in font). */
  certificateText: string[];
}

export const DEMO_CERTIFICATIONS: DemoCertification[] = [
  {
    shop: 'xigou-pepper',
    products: ['dahongpao-sichuan-pepper'],
    kind: 'geographical_indication',
    number: '平顺花椒 地理标志证明商标 第 41230001 号',
    issuer: '国家知识产权局',
    validFrom: '2023-01-01',
    validTo: '2032-12-31',
    status: 'verified',
    certificateText: [
      'Geographical Indication Certification Mark: Pingshun Sichuan Pepper',
      'No. 41230001 - valid 2023-01-01 to 2032-12-31 (demo document)',
    ],
  },
  {
    shop: 'hongti-millet',
    products: ['qinzhouhuang-millet'],
    kind: 'green_food',
    number: 'LB-14-2406140123A',
    issuer: '中国绿色食品发展中心',
    validFrom: '2024-06-14',
    validTo: '2027-06-13',
    status: 'pending',
    certificateText: [
      'Green Food Certificate: Qinzhou yellow millet',
      'LB-14-2406140123A - valid 2024-06-14 to 2027-06-13 (demo document)',
    ],
  },
  {
    shop: 'dongsitou-herbs',
    products: ['pingshun-codonopsis'],
    kind: 'organic',
    number: '1140P2300088',
    issuer: '中绿华夏有机产品认证中心',
    validFrom: '2024-01-01',
    validTo: '2025-12-31',
    status: 'verified',
    certificateText: [
      'Organic Product Certificate: Pingshun codonopsis',
      '1140P2300088 - valid 2024-01-01 to 2025-12-31 (demo document)',
    ],
  },
];

/** A one-page PDF (A5, Helvetica) with these ASCII lines: a valid certificate file for the demo. */
export function demoCertificatePdf(lines: string[]): Buffer {
  const escape = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`).replace(/[^\x20-\x7e]/g, '?');
  const text = lines.map(
    (line, i) => `BT /F1 ${i === 0 ? 12 : 10} Tf 36 ${360 - i * 24} Td (${escape(line)}) Tj ET`,
  );
  const content = ['0.7 0.15 0.12 RG 4 w 18 18 384 559 re S', ...text].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 595] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
  ];
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(pdf, 'latin1'));
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf, 'latin1');
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  pdf += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}
