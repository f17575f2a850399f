// A lucky bag's draw (福袋开奖): seeded, recorded and reproducible, so that anyone holding the
// record can draw again and get the same winners. Pure; see docs/promotions.md, "Lucky bags".
//
// - The seed is 32 random bytes chosen when the giveaway starts; only its SHA-256 (the
//   commitment) is shown until the draw, so the seed cannot be picked after seeing the entries.
// - Each entrant is an entry token: the first 16 hex digits of SHA-256("<giveawayId>:<buyerId>"),
//   which a buyer can recognise as theirs without the list naming anybody.
// - The entry list hash is SHA-256 of the sorted tokens joined by "\n".
// - The draw shuffles the sorted tokens with a Fisher–Yates pass whose random numbers are
//   HMAC-SHA256(seed, "<entriesHash>:<i>") read as 48-bit integers, rejecting the top of the range
//   so every pick is uniform. The first `count` tokens of the shuffle are the drawn order.
import { createHash, createHmac } from 'node:crypto';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export const entryToken = (giveawayId: string, buyerId: string) =>
  sha256(`${giveawayId}:${buyerId}`).slice(0, 16);

export const seedCommitment = (seed: string) => sha256(seed);

export const entriesHashOf = (sortedTokens: readonly string[]) => sha256(sortedTokens.join('\n'));

const RANGE = 2 ** 48;

/** Uniform integers in [0, n), from the seed and the entry list only. */
function uniformPicks(seed: string, entriesHash: string) {
  let i = 0;
  return (n: number): number => {
    const limit = RANGE - (RANGE % n);
    for (;;) {
      const value = createHmac('sha256', seed)
        .update(`${entriesHash}:${i++}`)
        .digest()
        .readUIntBE(0, 6);
      if (value < limit) return value % n;
    }
  };
}

export interface DrawRecord {
  seed: string;
  seedHash: string;
  entriesHash: string;
  /** Every entry token, sorted. */
  entries: string[];
  /** The drawn tokens, first prize first. */
  drawn: string[];
}

/** Draws `count` tokens (fewer if fewer entered) from the entries, in a reproducible order. */
export function draw(seed: string, tokens: readonly string[], count: number): DrawRecord {
  const entries = [...new Set(tokens)].sort();
  const entriesHash = entriesHashOf(entries);
  const pick = uniformPicks(seed, entriesHash);
  const order = [...entries];
  const n = Math.min(count, order.length);
  for (let k = 0; k < n; k++) {
    const j = k + pick(order.length - k);
    [order[k], order[j]] = [order[j]!, order[k]!];
  }
  return { seed, seedHash: seedCommitment(seed), entriesHash, entries, drawn: order.slice(0, n) };
}

export type Verdict =
  { ok: true } | { ok: false; problem: 'seed_commitment' | 'entries_hash' | 'drawn' };

/** Draws again from a stored record and says whether it holds. */
export function verifyDraw(record: DrawRecord): Verdict {
  if (seedCommitment(record.seed) !== record.seedHash)
    return { ok: false, problem: 'seed_commitment' };
  if (entriesHashOf(record.entries) !== record.entriesHash)
    return { ok: false, problem: 'entries_hash' };
  const again = draw(record.seed, record.entries, record.drawn.length);
  const same =
    again.drawn.length === record.drawn.length &&
    again.drawn.every((t, i) => t === record.drawn[i]);
  return same ? { ok: true } : { ok: false, problem: 'drawn' };
}
