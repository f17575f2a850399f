// `node scripts/render-hub-samples.ts`: renders a sample shipping label and a sample 25-parcel
// handover manifest with Pingshun data and writes them as PNGs to docs/pictures/ (committed;
// run again when the label or manifest layout changes). Needs poppler-utils (pdftoppm).
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../server/core/config.ts';
import {
  renderManifestPdf,
  type HandoverManifest,
} from '../server/hub/labels/handover-manifest.ts';
import { renderShippingLabel, type ShippingLabel } from '../server/hub/labels/shipping-label.ts';

const run = promisify(execFile);
const OUT_DIR = path.join(PROJECT_ROOT, 'docs/pictures');

const HUB = {
  name: '平顺县农村电商仓配中心',
  address: '山西省长治市平顺县青羊镇城关村电商产业园1号仓',
  phone: '0355-6812345',
};
const COURIER = { code: 'chinapost', name: '中国邮政快递包裹' };
const DAY = '2025-03-14';

const SAMPLE_LABEL: ShippingLabel = {
  waybillNo: '9874520136615',
  courier: COURIER,
  sortingLine: '华北-北京 | 朝阳区',
  sender: { name: HUB.name, phone: HUB.phone, address: HUB.address },
  recipient: {
    name: '王晓梅',
    phone: '13812345678',
    address: '北京市朝阳区建国路88号SOHO现代城A座1502室（工作日送公司前台）',
  },
  parcelNo: 'PS20250314-0007',
  weightGrams: 1850,
  itemCount: 3,
  contents: '大红袍花椒 250g×2, 平顺小米 1kg',
  traceUrl: 'https://cunbo.example.cn/t/PS20250314-0007',
  printedAt: new Date(`${DAY}T16:05:00+08:00`),
  copy: 2,
};

const DESTINATIONS = [
  '北京市朝阳区',
  '北京市海淀区',
  '上海市浦东新区',
  '上海市徐汇区',
  '广东省广州市天河区',
  '广东省深圳市南山区',
  '广东省东莞市松山湖',
  '山西省太原市小店区',
  '河北省石家庄市长安区',
];

function sampleManifest(): HandoverManifest {
  return {
    manifestNo: 'HM-20250314-CP-01',
    courier: COURIER,
    hub: HUB,
    date: DAY,
    parcels: Array.from({ length: 25 }, (_, i) => ({
      parcelNo: `PS20250314-${String(i + 1).padStart(4, '0')}`,
      waybillNo: String(9874520136600 + i * 7),
      destination: DESTINATIONS[i % DESTINATIONS.length]!,
      weightGrams: 600 + ((i * 373) % 2400),
      itemCount: 1 + (i % 4),
    })),
    signedOff: { by: '李建军（邮政平顺揽投部）', at: new Date(`${DAY}T17:40:00+08:00`) },
  };
}

/** Rasterises the first page of `pdf` at `dpi` to `docs/pictures/<name>.png`. */
async function writePicture(workDir: string, name: string, pdf: Buffer, dpi: number) {
  const pdfFile = path.join(workDir, `${name}.pdf`);
  await writeFile(pdfFile, pdf);
  const stem = path.join(workDir, name);
  await run('pdftoppm', [
    '-r',
    String(dpi),
    '-png',
    '-f',
    '1',
    '-l',
    '1',
    '-singlefile',
    pdfFile,
    stem,
  ]);
  const target = path.join(OUT_DIR, `${name}.png`);
  await copyFile(`${stem}.png`, target);
  process.stdout.write(`wrote ${path.relative(PROJECT_ROOT, target)}\n`);
}

const workDir = await mkdtemp(path.join(tmpdir(), 'cunbo-samples-'));
try {
  await mkdir(OUT_DIR, { recursive: true });
  await writePicture(workDir, 'label', await renderShippingLabel(SAMPLE_LABEL), 150);
  await writePicture(
    workDir,
    'manifest',
    await renderManifestPdf(sampleManifest(), { printedAt: new Date(`${DAY}T17:30:00+08:00`) }),
    100,
  );
} finally {
  await rm(workDir, { recursive: true, force: true });
}
