import { expect } from 'chai';
import { gramsPerUnit, parseCount, readCommentOrder } from '../../server/live/comment-order.ts';

describe('comment-to-order parser', () => {
  /** Counts are `3`; weights `w6` (six packs); a weight that cannot be packs `unfit:<reason>`. */
  const table: [message: string, spec: string, answer: number | string | undefined][] = [
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
    ['要3斤', '特级 500g', 'w3'], // 3 斤 = 1500 g = three 500 g bags
    ['要3斤', '特级 250g', 'w6'], // the case: six 250 g packs
    ['要1斤', '特级 250g', 'w2'],
    ['要2公斤', '1kg', 'w2'],
    ['要2千克', '1kg', 'w2'],
    ['要1kg', '特级 250g', 'w4'],
    ['要1斤', '特级 300g', 'w2'], // 500 g rounds up to two 300 g bags
    ['要3斤', '微辣 210g', 'w8'], // 1500 g: eight 210 g jars (1680 g)
    ['要二两', '特级 50g', 'w2'], // 两 is 50 g
    ['要两两', '特级 50g', 'w2'], // two 两, not "两两"
    ['要500克', '特级 250g', 'w2'],
    ['要750g', '特级 500g', 'w2'],
    ['要3斤', '礼盒 6 瓶', 'unfit:noWeight'], // no weight on the SKU: answered, not silence
    ['要100斤', '特级 250g', 'unfit:tooMuch'], // 200 packs
    ['两两', '特级 50g', undefined], // unprefixed 两 is chat
    ['三', '特级 500g', undefined], // a bare Chinese numeral is ordinary chat
    ['主播好', '特级 500g', undefined],
    ['这个多少钱', '特级 500g', undefined],
    ['扣0', '特级 500g', undefined],
    ['123', '特级 500g', undefined],
    ['买2还是买3', '特级 500g', undefined],
    ['666', '特级 500g', undefined],
    ['', '特级 500g', undefined],
  ];
  const short = (message: string, spec: string) => {
    const read = readCommentOrder(message, spec);
    if (!read) return undefined;
    if (read.kind === 'count') return read.quantity;
    if (read.kind === 'weight') return `w${read.quantity}`;
    return `unfit:${read.reason}`;
  };
  for (const [message, spec, answer] of table) {
    it(`reads "${message}" with ${spec} as ${answer ?? 'plain chat'}`, () => {
      expect(short(message, spec)).to.equal(answer);
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
