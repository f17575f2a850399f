import { expect } from 'chai';
import { gramsPerUnit, parseCommentOrder, parseCount } from '../../server/live/comment-order.ts';

describe('comment-to-order parser', () => {
  const table: [message: string, spec: string, quantity: number | undefined][] = [
    ['扣1', '特级 500g', 1],
    ['扣一', '特级 500g', 1],
    ['买2', '特级 500g', 2],
    ['买两个', '特级 500g', 2],
    ['+1', '特级 500g', 1],
    ['＋3', '特级 500g', 3],
    ['2', '特级 500g', 2],
    ['来两瓶', '微辣 210g', 2],
    ['要3份', '微辣 210g', 3],
    ['拍十盒', '礼盒 6 瓶', 10],
    ['扣十二', '特级 500g', 12],
    ['要二十', '特级 500g', 20],
    ['要3斤', '特级 500g', 3], // 3 斤 = 1500 g = three 500 g bags
    ['要1斤', '特级 250g', 2],
    ['要2公斤', '1kg', 2],
    ['要1斤', '特级 300g', undefined], // 500 g does not divide into 300 g bags: unclear, plain chat
    ['要3斤', '礼盒 6 瓶', undefined], // no weight on the SKU
    ['三', '特级 500g', undefined], // a bare Chinese numeral is ordinary chat
    ['主播好', '特级 500g', undefined],
    ['这个多少钱', '特级 500g', undefined],
    ['扣0', '特级 500g', undefined],
    ['123', '特级 500g', undefined],
    ['买2还是买3', '特级 500g', undefined],
    ['666', '特级 500g', undefined],
    ['', '特级 500g', undefined],
  ];
  for (const [message, spec, quantity] of table) {
    it(`reads "${message}" with ${spec} as ${quantity ?? 'plain chat'}`, () => {
      expect(parseCommentOrder(message, spec)).to.equal(quantity);
    });
  }

  it('reads Chinese numerals from one to ninety-nine', () => {
    expect([
      parseCount('一'),
      parseCount('两'),
      parseCount('十'),
      parseCount('十一'),
      parseCount('二十'),
      parseCount('九十九'),
    ]).to.deep.equal([1, 2, 10, 11, 20, 99]);
    expect(parseCount('十十')).to.equal(undefined);
    expect(parseCount('一百')).to.equal(undefined);
  });

  it('reads the weight of a SKU from its spec', () => {
    expect(gramsPerUnit('特级 500g')).to.equal(500);
    expect(gramsPerUnit('2.5kg')).to.equal(2500);
    expect(gramsPerUnit('1斤装')).to.equal(500);
    expect(gramsPerUnit('礼盒 6 瓶')).to.equal(undefined);
  });
});
