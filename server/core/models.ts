// Every Mongoose model, imported once so indexes are built at connect time.
import '../accounts/user.model.ts';
import '../catalogue/product.model.ts';
import '../catalogue/shop.model.ts';
import '../catalogue/sku.model.ts';
import '../catalogue/village.model.ts';
import '../hub/courier.model.ts';
import '../hub/hub.model.ts';
import '../hub/stock-movement.model.ts';
import '../hub/tracking-event.model.ts';
import '../hub/couriers/waybill.model.ts';
import '../orders/order.model.ts';
import '../payments/payment.model.ts';
import '../live/live-session.model.ts';
