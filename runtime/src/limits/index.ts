/**
 * Limits that hold across the fleet: the per-principal request rate, counted in the session table.
 */
export { FleetRateLimiter, RateLimitUnavailableError, RATE_WINDOW_MS, type FleetRateLimiterOptions } from './fleet-rate-limiter.js';
