// @geoedge/zonedb: the PowerDNS gmysql schema and the queries on it. The only
// package that talks to MariaDB (db.ts is the suite's one mysql2 import).
export { openDb, toDbError, DbError, type Db, type DbSession, type DbErrorCode, type OpenDbResult, type OpenDbOptions, type WriteResult } from './db.js';
export { parseDbUrl, maskPassword, type DbSettings, type ParseDbUrlResult } from './db-url.js';
export { PDNS_TABLES, MARKER_TABLE, SCHEMA_VERSION, type TableDef } from './schema.js';
export { migrate, checkSchema, type MigrateResult, type CheckSchemaResult } from './migrate.js';
export { convertRecord, storedNameToFqdn, domainOrigin, RECORD_COLUMNS, DEFAULT_TTL, type RecordRow, type RowProblem, type ConvertResult } from './convert.js';
export { loadAllZones, loadZones, type DbZone, type LoadResult, type LoadStats, type LoadOptions } from './read.js';
export { ChangeDetector, type ZoneChanges, type PollResult, type ChangeDetectorOptions } from './changes.js';
export { ZoneSync, type ZoneSyncHandlers, type ZoneSyncOptions, type SyncHealth, type SyncStatus } from './sync.js';
export { findDomain, listDomains, domainRecords, domainComments, domainMetadata, domainSoa, allSoasAndMetadata, type DomainRow, type StoredRecord, type StoredComment, type MetadataRow } from './zone-rows.js';
export { createZone, deleteZone, patchZone, updateZone, putMetadata, addMetadata, markNotified, type RecordWrite, type CommentWrite, type ChangeType, type RRsetWrite, type ZoneSpec, type ZoneFields, type ZoneDnssec, type WriteOutcome } from './write.js';
export { increaseSerial, editSerial, dateSerial, soaSerialOf, withSerial } from './serial.js';
export { planRectify, parentName, planOrderNames, nsecOrderName, type RectifyPlan, type OrderMode, type OrderPlan } from './rectify.js';
export { domainCryptokeys, securedDomainIds, isSecured, orderModeOf, keysForHistory, type CryptokeyRow, type NewCryptokey } from './dnssec-state.js';
export { addCryptokey, setCryptokey, deleteCryptokey, rectifyZone } from './dnssec-write.js';
export { HISTORY_TABLE, MAX_SIDE_CHARS, listHistory, pruneHistory, hasHistoryTable, type Audit, type HistoryAction, type HistoryEntry, type HistoryRecord, type HistorySide, type HistoryQuery, type HistoryKey } from './history.js';
