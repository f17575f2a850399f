// The hub-routing queue's name, its jobs and how they retry: shared by the routing service that
// adds the jobs and the worker that runs them.
export const HUB_ROUTING_QUEUE = 'hub-routing';
export const ROUTE_ORDER_JOB = 'route-order';
export const CLOSE_PARCEL_JOB = 'close-parcel';
export const ROUTING_SWEEP_JOB = 'sweep-unrouted';
export const UNROUTE_ORDER_JOB = 'unroute-order';

export const ROUTING_RETRY = { attempts: 8, backoff: { type: 'exponential', delay: 1000 } };
