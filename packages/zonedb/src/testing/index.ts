export * from './mariadb.js';
export * from './shared-server.js';
export * from './fixtures.js';
