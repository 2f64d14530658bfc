export * from './mariadb.js';
export * from './fixtures.js';
