// The packing bench prints a label a scanner and a phone can read, and at the end of the day
// the courier signs a manifest whose totals match what is on the cart.
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { Invalid, PrerequisiteError } from '../../server/core/errors.ts';
import { pdfInfoOfFile, pdfTextOfFile, scanPdfFile } from '../support/pdf.ts';
import {
  renderManifestCsv,
  renderManifestPdf,
  type HandoverManifest,
} from '../../server/hub/labels/handover-manifest.ts';
import { collectionFaceNames, findLabelFont } from '../../server/core/pdf/cjk-font.ts';
import { renderShippingLabel, type ShippingLabel } from '../../server/hub/labels/shipping-label.ts';
import { maskPhone } from '../../server/core/masking.ts';

const WQY_ZENHEI = '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc';

const LABEL: ShippingLabel = {
  waybillNo: '9812345678901',
  courier: { code: 'ems', name: '中国邮政快递包裹' },
  sortingLine: '华北-北京 | 朝阳区',
  sender: {
    name: '平顺县农村电商仓配中心',
    phone: '0355-6812345',
    address: '山西省长治市平顺县青羊镇东街18号',
  },
  recipient: {
    name: '王晓梅',
    phone: '13812345678',
    address: '北京市朝阳区建国路88号SOHO现代城A座1502室',
  },
  parcelNo: 'PS20250314-0007',
  weightGrams: 1850,
  itemCount: 3,
  contents: '花椒 250g×2, 小米 1kg',
  traceUrl: 'https://cunbo.example.cn/t/PS20250314-0007',
  printedAt: new Date('2025-03-14T08:05:00Z'),
};

function manifestWith(count: number): HandoverManifest {
  return {
    manifestNo: 'HM-20250314-EMS-01',
    courier: { code: 'ems', name: '中国邮政快递包裹' },
    hub: {
      name: '平顺县农村电商仓配中心',
      address: '山西省长治市平顺县青羊镇东街18号',
      phone: '0355-6812345',
    },
    date: '2025-03-14',
    parcels: Array.from({ length: count }, (_, i) => ({
      parcelNo: `PS20250314-${String(i + 1).padStart(4, '0')}`,
      waybillNo: `98123456${78901 + i}`,
      destination: '北京市朝阳区',
      weightGrams: 1250,
      itemCount: 2,
    })),
  };
}

describe('hub labels and handover manifests', () => {
  let workDir: string;
  before(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'cunbo-labels-'));
  });
  after(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  async function savePdf(name: string, pdf: Buffer): Promise<string> {
    const file = path.join(workDir, `${name}.pdf`);
    await writeFile(file, pdf);
    return file;
  }

  const pdfInfo = pdfInfoOfFile;
  const pdfText = pdfTextOfFile;
  const scanPage = scanPdfFile;

  describe('the shipping label', () => {
    it('carries a scannable waybill barcode and a trace QR code', async () => {
      const file = await savePdf('label', await renderShippingLabel(LABEL));
      const found = await scanPage(file);
      const code128 = found.find((r) => r.format === 'Code128');
      const qr = found.find((r) => r.format === 'QRCode');
      expect(code128?.text, 'waybill barcode').to.equal(LABEL.waybillNo);
      expect(qr?.text, 'trace QR').to.equal(LABEL.traceUrl);
    });

    it('is one 100×150 mm page titled with the waybill number', async () => {
      const info = await pdfInfo(await savePdf('label-size', await renderShippingLabel(LABEL)));
      const size = /Page size:\s+([\d.]+) x ([\d.]+) pts/.exec(info);
      const mm = (pt: string) => (Number(pt) * 25.4) / 72;
      expect(mm(size![1]!)).to.be.closeTo(100, 0.05);
      expect(mm(size![2]!)).to.be.closeTo(150, 0.05);
      expect(info).to.match(/Pages:\s+1\n/);
      expect(info).to.match(/Title:\s+9812345678901\n/);
    });

    it('prints the recipient with a masked phone and the sorting line in extractable Chinese', async () => {
      const text = await pdfText(await savePdf('label-text', await renderShippingLabel(LABEL)));
      expect(text).to.include('王晓梅');
      expect(text).to.include('138****5678');
      expect(text).not.to.include('13812345678');
      expect(text).to.include('华北-北京 | 朝阳区');
      expect(text).to.include('扫码溯源');
      expect(text).not.to.include('补打');
    });

    it('fits a 120-character address on the one page and keeps both codes readable', async () => {
      const address = '广东省深圳市南山区粤海街道科技园南区高新南七道'.padEnd(
        120,
        '数字技术园B座十八楼',
      );
      expect(address).to.have.length(120);
      const label = { ...LABEL, recipient: { ...LABEL.recipient, address } };
      const file = await savePdf('label-long', await renderShippingLabel(label));
      expect(await pdfInfo(file)).to.match(/Pages:\s+1\n/);
      const text = (await pdfText(file)).replace(/\s/g, '');
      expect(text).to.include(address.slice(0, 30));
      expect(text).to.include(address.slice(-10));
      const formats = (await scanPage(file)).map((r) => r.format);
      expect(formats).to.include.members(['Code128', 'QRCode']);
    });

    it('marks a reprint with its copy number', async () => {
      const file = await savePdf('label-reprint', await renderShippingLabel({ ...LABEL, copy: 2 }));
      expect(await pdfText(file)).to.include('补打 #2');
    });

    it('masks phone numbers to the first three and last four digits', () => {
      expect(maskPhone('13812345678')).to.equal('138****5678');
      expect(maskPhone('+86 138-1234-5678')).to.equal('138****5678');
      expect(maskPhone('0355-6812345')).to.equal('035****2345');
      expect(maskPhone('12345')).to.equal('****2345');
    });
  });

  describe('the label font', () => {
    it('names the faces of a font collection and opens an explicit .ttc path', () => {
      expect(collectionFaceNames(readFileSync(WQY_ZENHEI))).to.include('WenQuanYiZenHei');
      expect(findLabelFont(WQY_ZENHEI).face).to.equal('WenQuanYiZenHei');
    });

    it('explains how to install a font when the given one is missing', () => {
      expect(() => findLabelFont('/nowhere/font.ttc')).to.throw(PrerequisiteError, /font/);
    });
  });

  describe('the handover manifest', () => {
    it('exports a CSV that parses back to the parcels and their totals', () => {
      const csv = renderManifestCsv(manifestWith(3));
      expect(csv.startsWith('\uFEFF'), 'UTF-8 BOM for Excel').to.equal(true);
      const rows: string[][] = parse(csv, { bom: true });
      expect(rows[0]).to.deep.equal([
        '序号/No',
        '包裹号/Parcel',
        '运单号/Waybill',
        '目的地/Destination',
        '重量kg/Weight kg',
        '件数/Items',
      ]);
      expect(rows.slice(1, 4)).to.deep.equal([
        ['1', 'PS20250314-0001', '9812345678901', '北京市朝阳区', '1.25', '2'],
        ['2', 'PS20250314-0002', '9812345678902', '北京市朝阳区', '1.25', '2'],
        ['3', 'PS20250314-0003', '9812345678903', '北京市朝阳区', '1.25', '2'],
      ]);
      expect(rows[4]).to.deep.equal(['合计/Total', '3', '', '', '3.75', '6']);
      expect(rows).to.have.length(5);
    });

    it('quotes commas and quotes, and defuses cells a spreadsheet would run as formulas', () => {
      const manifest = manifestWith(3);
      manifest.parcels[0]!.destination = '上海市浦东新区, "张江" 路';
      manifest.parcels[1]!.destination = '=HYPERLINK("http://evil.example","点我")';
      manifest.parcels[2]!.destination = '@SUM(1+1)\n第二行';
      const rows: string[][] = parse(renderManifestCsv(manifest), { bom: true });
      expect(rows[1]![3]).to.equal('上海市浦东新区, "张江" 路');
      expect(rows[2]![3]).to.equal('\'=HYPERLINK("http://evil.example","点我")');
      expect(rows[3]![3]).to.equal("'@SUM(1+1)\n第二行");
    });

    it('prints 60 parcels over several pages with the totals', async () => {
      const manifest = {
        ...manifestWith(60),
        signedOff: { by: '李师傅', at: new Date('2025-03-14T09:30:00Z') },
      };
      const file = await savePdf('manifest', await renderManifestPdf(manifest));
      const pages = Number(/Pages:\s+(\d+)/.exec(await pdfInfo(file))![1]);
      expect(pages).to.be.at.least(2);
      const text = await pdfText(file);
      expect(text).to.include('交接清单');
      expect(text).to.include('PS20250314-0060');
      expect(text).to.match(/60 个包裹/);
      expect(text).to.include('75.00 kg');
      expect(text).to.include('李师傅');
      expect(text).to.include('2025-03-14 17:30');
      // The column header is repeated on the continuation page.
      expect(text.match(/运单号 Waybill/g)).to.have.length.at.least(2);
    });

    it('refuses to build a manifest for a courier with no parcels', async () => {
      const empty = manifestWith(0);
      expect(() => renderManifestCsv(empty))
        .to.throw(Invalid)
        .with.property('code', 'errors.manifestEmpty');
      const error = await renderManifestPdf(empty).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(Invalid).with.property('code', 'errors.manifestEmpty');
    });
  });
});
