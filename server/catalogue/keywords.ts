// Search without a text index (FerretDB has none): products store normalised keywords,
// queries are normalised the same way and matched with $all.

const CJK = /[\u3400-\u9fff]/;

/** Lower-cased Latin words, plus every CJK character and CJK bigram (花椒 → 花, 椒, 花椒). */
export function keywordsOf(...texts: string[]): string[] {
  const out = new Set<string>();
  for (const text of texts) {
    for (const token of tokenize(text)) {
      if (CJK.test(token)) {
        const chars = [...token];
        chars.forEach((c, i) => {
          out.add(c);
          if (i + 1 < chars.length) out.add(c + chars[i + 1]);
        });
      } else if (token.length >= 2) {
        out.add(token);
      }
    }
  }
  return [...out];
}

/** The terms a query must all match: CJK runs become bigrams (a lone character stays). */
export function queryTerms(query: string): string[] {
  const out = new Set<string>();
  for (const token of tokenize(query)) {
    if (CJK.test(token)) {
      const chars = [...token];
      if (chars.length === 1) out.add(chars[0]!);
      for (let i = 0; i + 1 < chars.length; i++) out.add(chars[i]! + chars[i + 1]!);
    } else if (token.length >= 2) {
      out.add(token);
    }
  }
  return [...out];
}

function tokenize(text: string): string[] {
  return (
    text
      .normalize('NFKC')
      .toLowerCase()
      // split CJK runs from Latin/digit runs; drop punctuation
      .match(/[\u3400-\u9fff]+|[a-z0-9]+/g) ?? []
  );
}
