// Public surface of @geoedge/control, for tests and the zone API routes.
export { buildApp, type AppOptions } from './app.js';
export { loadConfig, ConfigSchema, DEFAULT_SCHEDULE, type Config } from './config.js';
export { loadGeoipConf, type GeoipConf } from './jobs/geoip-conf.js';
export { createGeoipUpdater, type GeoipUpdater, type EditionOutcome, type RunOutcome } from './jobs/geoip-update.js';
export { createControlMetrics, type ControlMetrics } from './metrics.js';
export { ApiError } from './plugins/errors.js';
