import { expect } from 'chai';
import { DIVISIONS, divisionProblem } from '../../server/orders/china-divisions.ts';
import { addressInput } from '../../server/orders/order-input.ts';

describe("China's divisions in delivery addresses", () => {
  it('knows every province, and the county this system is built for', () => {
    expect(DIVISIONS.length).to.be.at.least(31);
    const shanxi = DIVISIONS.find((p) => p.n === '山西省')!;
    expect(shanxi.c.find((c) => c.n === '长治市')!.a).to.include('平顺县');
  });

  it('takes names that belong together and says which one does not', () => {
    expect(divisionProblem('山西省', '长治市', '平顺县')).to.equal(undefined);
    expect(divisionProblem('北京市', '北京市', '朝阳区')).to.equal(undefined); // a municipality
    expect(divisionProblem('广东省', '东莞市', '虎门镇')).to.equal(undefined); // towns only
    expect(divisionProblem('火星省', '长治市', '平顺县')).to.equal('province');
    expect(divisionProblem('山西省', '石家庄市', '长安区')).to.equal('city');
    expect(divisionProblem('山西省', '长治市', '朝阳区')).to.equal('county');
  });

  it('refuses an address whose county is not in its city, naming the field', () => {
    const address = {
      recipient: '陈晓',
      phone: '13800000001',
      province: '山西省',
      city: '长治市',
      county: '朝阳区',
      detail: '青羊镇 1 号',
    };
    const result = addressInput.safeParse(address);
    expect(result.success).to.equal(false);
    expect(result.error!.issues.map((i) => `${i.path.join('.')}:${i.message}`)).to.deep.equal([
      'county:validation.county',
    ]);
    expect(addressInput.safeParse({ ...address, county: '平顺县' }).success).to.equal(true);
  });
});
