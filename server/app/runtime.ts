// What every process opens: the core runtime, with every domain's Mongoose model registered
// first, so that connecting builds their indexes. Entry points, scripts and tests open this one.
import './models.ts';

export { openRuntime, type Runtime } from '../core/runtime.ts';
