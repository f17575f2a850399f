// The live session a coupon or a lucky bag belongs to, as the live domain tells it to the
// promotions: which session, which shop, and whether it is on air.
export interface PromotionSession {
  id: string;
  shopId: string;
  live: boolean;
}
