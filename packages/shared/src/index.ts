export { createLogger, type Logger, type LoggerOptions } from './logger.js';
export { SuiteError, ConfigError } from './errors.js';
export { readConfigFile, checkConfig } from './config.js';
export { parseHostPort, formatHostPort, type HostPort } from './hostport.js';
export { ServiceGroup, handleSignals, type Service, type SignalHandlers } from './lifecycle.js';
export { createRegistry, LabeledCounter, FastHistogram, gaugeFn, labeledGaugeFn, counterFn, metricsService, shareWithClusterPrimary, clusterRegistry, type Registry } from './metrics.js';
export { formatAddress } from './address.js';
