// The fields the hub writes on an order: the parcel it travels in, a notice for the buyer when
// the hub cannot go on (an unreachable address), and the corrected address that clears it.
// None is a state change; those go through the state table (order-states.ts).
import { OrderModel, type Order } from './order.model.ts';

/** Names the parcel an order travels in (before anything is taken for it). */
export async function nameParcelOfOrder(orderNo: string, parcelNo: string): Promise<void> {
  await OrderModel.updateOne({ orderNo }, { $set: { parcelNo } });
}

/** Puts the hub's notice on an order; the order as it now reads, or null if there is none. */
export async function noteHubNotice(orderNo: string, code: string) {
  return OrderModel.findOneAndUpdate(
    { orderNo },
    { $set: { hubNotice: code } },
    { returnDocument: 'after' },
  ).lean();
}

/** Gives an order the buyer's corrected address and clears the hub's notice; the order after. */
export async function readdressForHub(orderNo: string, address: Order['address']) {
  await OrderModel.updateOne({ orderNo }, { $set: { address }, $unset: { hubNotice: 1 } });
  return OrderModel.findOne({ orderNo }).lean();
}
