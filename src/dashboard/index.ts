// The dashboard's public surface.
export { createDashboard, type Dashboard } from './dashboard.js';
export { startDashboard, type StartDashboardOptions, type RunningDashboard } from './standalone.js';
export type { DashboardOptions } from './options.js';
export { isLocalRequest, type DashboardAuthorize, type DashboardRequest } from './security.js';
export type { ConnectRequest, FastifyReplyLike, FastifyRequestLike, NextFunction } from './adapters.js';
