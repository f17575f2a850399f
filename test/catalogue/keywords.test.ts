import { expect } from 'chai';
import { keywordsOf, queryTerms } from '../../server/catalogue/keywords.ts';
import { formatFen } from '../../server/core/http/views.ts';

describe('search keywords without a text index', () => {
  const stored = keywordsOf('平顺大红袍花椒', 'Pingshun Dahongpao Sichuan Pepper', '特级 500g');

  const table: [string, boolean][] = [
    ['花椒', true],
    ['大红袍', true],
    ['椒', true],
    ['pepper', true],
    ['PEPPER', true],
    ['花椒 特级', true],
    ['小米', false],
    ['红椒', false],
  ];
  for (const [query, matches] of table) {
    it(`${matches ? 'finds' : 'does not find'} the pepper for "${query}"`, () => {
      const terms = queryTerms(query);
      expect(terms.length).to.be.above(0);
      expect(terms.every((t) => stored.includes(t))).to.equal(matches);
    });
  }

  it('ignores punctuation and full-width forms', () => {
    expect(queryTerms('花椒！！')).to.deep.equal(['花椒']);
    expect(queryTerms('ＰＥＰＰＥＲ')).to.deep.equal(['pepper']);
    expect(queryTerms('?!')).to.deep.equal([]);
  });
});

describe('money', () => {
  it('formats integer fen as yuan', () => {
    expect(formatFen(6980)).to.equal('¥69.80');
    expect(formatFen(5)).to.equal('¥0.05');
    expect(formatFen(1234567)).to.equal('¥12,345.67');
  });

  it('refuses anything that is not integer fen', () => {
    expect(() => formatFen(69.8)).to.throw(TypeError, /integer fen/);
    expect(() => formatFen(Number.NaN)).to.throw(TypeError);
  });
});
