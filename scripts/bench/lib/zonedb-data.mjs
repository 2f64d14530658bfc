// The generated data set of the zonedb and geodns-db benchmarks, written with a
// few set-based INSERTs (MariaDB's seq_1_to_N engine) so 1,000,000 rows take
// seconds: zone1.example … zoneN.example, each with SOA, NS, MX and
// h1 … h(perZone-3) A records. Returns the number of records written.
export async function generateZones(pool, zones, perZone) {
  const seq = (n) => `seq_1_to_${n}`;
  await pool.execute(`INSERT INTO domains (id, name, type) SELECT seq, CONCAT('zone', seq, '.example'), 'NATIVE' FROM ${seq(zones)}`);
  await pool.execute(`INSERT INTO records (domain_id, name, type, content, ttl, prio)
    SELECT id, name, 'SOA', CONCAT('ns1.', name, ' hostmaster.', name, ' 1 10800 3600 604800 3600'), 3600, NULL FROM domains
    UNION ALL SELECT id, name, 'NS', CONCAT('ns1.', name), 3600, NULL FROM domains
    UNION ALL SELECT id, name, 'MX', CONCAT('mail.', name), 3600, 10 FROM domains`);
  await pool.execute(`INSERT INTO records (domain_id, name, type, content, ttl)
    SELECT d.id, CONCAT('h', s.seq, '.', d.name), 'A', CONCAT('10.', d.id DIV 256 MOD 256, '.', d.id MOD 256, '.', s.seq MOD 256), 300
    FROM domains d JOIN ${seq(perZone - 3)} s`);
  return zones * perZone;
}
