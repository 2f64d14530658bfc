// The PowerDNS 4.7+ generic MySQL/MariaDB backend schema
// (pdns modules/gmysqlbackend/schema.mysql.sql, shipped by Debian's
// pdns-backend-mysql as /usr/share/pdns-backend-mysql/schema/schema.mysql.sql).
// Statements are kept as PowerDNS writes them, so a database we create is one
// PowerDNS, pdnsutil and PowerDNS-Admin use unchanged; test/zonedb-pdns.test.ts
// compares the result with PowerDNS's own file, table by table.
//
// Our own bookkeeping lives in a separate table (MARKER_TABLE) that PowerDNS
// never reads, so adopting an existing PowerDNS database changes none of its tables.

export interface TableDef {
  name: string;
  create: string;
  indexes: string[];
  /** Columns zonedb reads; a database lacking one cannot be adopted. */
  needs: string[];
}

const LATIN1 = "Engine=InnoDB CHARACTER SET 'latin1'";

export const PDNS_TABLES: readonly TableDef[] = [
  {
    name: 'domains',
    create: `CREATE TABLE domains (
  id                    INT AUTO_INCREMENT,
  name                  VARCHAR(255) NOT NULL,
  master                VARCHAR(128) DEFAULT NULL,
  last_check            INT DEFAULT NULL,
  type                  VARCHAR(8) NOT NULL,
  notified_serial       INT UNSIGNED DEFAULT NULL,
  account               VARCHAR(40) CHARACTER SET 'utf8' DEFAULT NULL,
  options               VARCHAR(64000) DEFAULT NULL,
  catalog               VARCHAR(255) DEFAULT NULL,
  PRIMARY KEY (id)
) ${LATIN1}`,
    indexes: ['CREATE UNIQUE INDEX name_index ON domains(name)', 'CREATE INDEX catalog_idx ON domains(catalog)'],
    needs: ['id', 'name', 'type'],
  },
  {
    name: 'records',
    create: `CREATE TABLE records (
  id                    BIGINT AUTO_INCREMENT,
  domain_id             INT DEFAULT NULL,
  name                  VARCHAR(255) DEFAULT NULL,
  type                  VARCHAR(10) DEFAULT NULL,
  content               VARCHAR(64000) DEFAULT NULL,
  ttl                   INT DEFAULT NULL,
  prio                  INT DEFAULT NULL,
  disabled              TINYINT(1) DEFAULT 0,
  ordername             VARCHAR(255) BINARY DEFAULT NULL,
  auth                  TINYINT(1) DEFAULT 1,
  PRIMARY KEY (id)
) ${LATIN1}`,
    indexes: [
      'CREATE INDEX nametype_index ON records(name,type)',
      'CREATE INDEX domain_id ON records(domain_id)',
      'CREATE INDEX ordername ON records (ordername)',
    ],
    needs: ['id', 'domain_id', 'name', 'type', 'content', 'ttl', 'prio', 'disabled', 'auth'],
  },
  {
    name: 'supermasters',
    create: `CREATE TABLE supermasters (
  ip                    VARCHAR(64) NOT NULL,
  nameserver            VARCHAR(255) NOT NULL,
  account               VARCHAR(40) CHARACTER SET 'utf8' NOT NULL,
  PRIMARY KEY (ip, nameserver)
) ${LATIN1}`,
    indexes: [],
    needs: [],
  },
  {
    name: 'comments',
    create: `CREATE TABLE comments (
  id                    INT AUTO_INCREMENT,
  domain_id             INT NOT NULL,
  name                  VARCHAR(255) NOT NULL,
  type                  VARCHAR(10) NOT NULL,
  modified_at           INT NOT NULL,
  account               VARCHAR(40) CHARACTER SET 'utf8' DEFAULT NULL,
  comment               TEXT CHARACTER SET 'utf8' NOT NULL,
  PRIMARY KEY (id)
) ${LATIN1}`,
    indexes: [
      'CREATE INDEX comments_name_type_idx ON comments (name, type)',
      'CREATE INDEX comments_order_idx ON comments (domain_id, modified_at)',
    ],
    needs: [],
  },
  {
    name: 'domainmetadata',
    create: `CREATE TABLE domainmetadata (
  id                    INT AUTO_INCREMENT,
  domain_id             INT NOT NULL,
  kind                  VARCHAR(32),
  content               TEXT,
  PRIMARY KEY (id)
) ${LATIN1}`,
    indexes: ['CREATE INDEX domainmetadata_idx ON domainmetadata (domain_id, kind)'],
    needs: ['domain_id', 'kind', 'content'],
  },
  {
    name: 'cryptokeys',
    create: `CREATE TABLE cryptokeys (
  id                    INT AUTO_INCREMENT,
  domain_id             INT NOT NULL,
  flags                 INT NOT NULL,
  active                BOOL,
  published             BOOL DEFAULT 1,
  content               TEXT,
  PRIMARY KEY(id)
) ${LATIN1}`,
    indexes: ['CREATE INDEX domainidindex ON cryptokeys(domain_id)'],
    needs: [],
  },
  {
    name: 'tsigkeys',
    create: `CREATE TABLE tsigkeys (
  id                    INT AUTO_INCREMENT,
  name                  VARCHAR(255),
  algorithm             VARCHAR(50),
  secret                VARCHAR(255),
  PRIMARY KEY (id)
) ${LATIN1}`,
    indexes: ['CREATE UNIQUE INDEX namealgoindex ON tsigkeys(name, algorithm)'],
    needs: [],
  },
];

/** Columns of the 4.7 layout that older PowerDNS schemas lack; reported, never added (that is PowerDNS's upgrade script's job). */
export const PDNS_47_COLUMNS: ReadonlyArray<[table: string, column: string]> = [
  ['domains', 'options'],
  ['domains', 'catalog'],
  ['cryptokeys', 'published'],
];

/** Our schema-version marker: one row, in a table of our own. */
export const MARKER_TABLE = 'geoedge_schema';
// The version of what readers depend on (the PowerDNS tables as we use them).
// Our own additive tables (geoedge_history) do not bump it: a geodns of the
// previous release must keep reading a database a newer geoctl migrated
// (readers refuse a newer version, and NS2 may be upgraded after NS1).
export const SCHEMA_VERSION = 1;

export const MARKER_CREATE = `CREATE TABLE IF NOT EXISTS ${MARKER_TABLE} (
  id                    TINYINT NOT NULL,
  version               INT NOT NULL,
  origin                VARCHAR(16) NOT NULL,
  applied_at            TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id)
) Engine=InnoDB CHARACTER SET 'latin1'`;
