PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
INSERT INTO grdb_migrations VALUES('v1-replica');
INSERT INTO grdb_migrations VALUES('v2-remote');
INSERT INTO grdb_migrations VALUES('v3-log-without-row-index');
INSERT INTO grdb_migrations VALUES('v4-routing');
INSERT INTO grdb_migrations VALUES('v5-resolutions');
INSERT INTO grdb_migrations VALUES('v6-token-file');
INSERT INTO grdb_migrations VALUES('v7-refused');
INSERT INTO grdb_migrations VALUES('v8-tls');
INSERT INTO grdb_migrations VALUES('v9-log-routes');
INSERT INTO grdb_migrations VALUES('v10-eviction-position');
INSERT INTO grdb_migrations VALUES('v11-announced-routes');
INSERT INTO grdb_migrations VALUES('v12-refused-taken');
INSERT INTO grdb_migrations VALUES('v13-handover');
INSERT INTO grdb_migrations VALUES('v14-refusals-discarded');
CREATE TABLE contacts (
    id TEXT PRIMARY KEY NOT NULL DEFAULT (lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))),
    quartier TEXT NOT NULL,
    name TEXT NOT NULL,
    organisation TEXT,
    role TEXT,
    email TEXT,
    phone TEXT,
    notes TEXT,
    consent_at TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
INSERT INTO contacts VALUES('01a241c6-14b5-7226-9eea-07f3f839e660','kuckuck','Erika Beispiel',NULL,NULL,NULL,'05151 111111',NULL,NULL,'2026-12-04T15:57:10.197Z','2026-12-04T15:57:10.197Z');
INSERT INTO contacts VALUES('01a241c6-14dc-788f-9dd2-153c7028d9a8','*','Jonas Muster',NULL,NULL,'jonas@example.org',NULL,NULL,NULL,'2026-12-04T15:57:10.237Z','2026-12-04T15:57:10.237Z');
CREATE TABLE activities (
    id TEXT PRIMARY KEY NOT NULL DEFAULT (lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))),
    quartier TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    starts_at TEXT NOT NULL,
    ends_at TEXT,
    location TEXT,
    handlungsfeld TEXT NOT NULL,
    organiser_id TEXT,
    status TEXT NOT NULL DEFAULT 'planned',
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE TABLE _sync_clock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    counter INTEGER NOT NULL DEFAULT 0,
    hlc_ms INTEGER NOT NULL DEFAULT 0,
    hlc_logical INTEGER NOT NULL DEFAULT 0,
    applying INTEGER NOT NULL DEFAULT 0
);
INSERT INTO _sync_clock VALUES(1,2,1796399830236,0,0);
CREATE TABLE _sync_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    replica_id TEXT NOT NULL,
    office TEXT NOT NULL,
    folded_seq INTEGER NOT NULL DEFAULT 0,
    acked_seq INTEGER NOT NULL DEFAULT 0,
    store_seq INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    last_sync_at TEXT
, kind TEXT NOT NULL DEFAULT 'office', evicted_seq INTEGER NOT NULL DEFAULT 0);
INSERT INTO _sync_state VALUES(1,'bb14be67-1706-4692-9210-cd200f9a0deb','Kuckuck',2,2,1839513426273282,'2026-12-04T15:57:10.090Z','2026-12-04T15:57:10.484Z','office',2);
CREATE TABLE _sync_log (
    seq INTEGER PRIMARY KEY,
    tbl TEXT NOT NULL,
    row_id TEXT NOT NULL,
    op TEXT NOT NULL,
    hlc_ms INTEGER,
    hlc_logical INTEGER,
    mask INTEGER NOT NULL DEFAULT 0
, route TEXT);
INSERT INTO _sync_log VALUES(1,'contacts','01a241c6-14b5-7226-9eea-07f3f839e660','insert',1796399830197,0,511,'kuckuck');
INSERT INTO _sync_log VALUES(2,'contacts','01a241c6-14dc-788f-9dd2-153c7028d9a8','insert',1796399830236,0,511,'*');
CREATE TABLE _sync_records (
    tbl TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    quartier TEXT,
    visible INTEGER NOT NULL,
    conflicts INTEGER NOT NULL DEFAULT 0,
    state BLOB NOT NULL, moved INTEGER NOT NULL DEFAULT 0,
    UNIQUE (tbl, id)
);
INSERT INTO _sync_records VALUES('contacts','01a241c6-14b5-7226-9eea-07f3f839e660',1839513426273281,'kuckuck',1,0,X'02012430316132343163362d313462352d373232362d396565612d303766336638333965363630012462623134626536372d313730362d343639322d393231302d6364323030663961306465620100010118323032362d31322d30345431353a35373a31302e3139375a01010001ead2b09cc86800090a636f6e73656e745f617401000001ead2b09cc868000a637265617465645f6174010118323032362d31322d30345431353a35373a31302e3139375a0001ead2b09cc8680005656d61696c01000001ead2b09cc86800046e616d6501010e4572696b6120426569737069656c0001ead2b09cc86800056e6f74657301000001ead2b09cc868000c6f7267616e69736174696f6e01000001ead2b09cc868000570686f6e6501010c3035313531203131313131310001ead2b09cc868000871756172746965720101076b75636b75636b0001ead2b09cc8680004726f6c6501000001ead2b09cc86800',0);
INSERT INTO _sync_records VALUES('contacts','01a241c6-14dc-788f-9dd2-153c7028d9a8',1839513426273282,'*',1,0,X'02012430316132343163362d313464632d373838662d396464322d313533633730323864396138012462623134626536372d313730362d343639322d393231302d6364323030663961306465620100020118323032362d31322d30345431353a35373a31302e3233375a01010002b8d3b09cc86800090a636f6e73656e745f617401000002b8d3b09cc868000a637265617465645f6174010118323032362d31322d30345431353a35373a31302e3233375a0002b8d3b09cc8680005656d61696c0101116a6f6e6173406578616d706c652e6f72670002b8d3b09cc86800046e616d6501010c4a6f6e6173204d75737465720002b8d3b09cc86800056e6f74657301000002b8d3b09cc868000c6f7267616e69736174696f6e01000002b8d3b09cc868000570686f6e6501000002b8d3b09cc868000871756172746965720101012a0002b8d3b09cc8680004726f6c6501000002b8d3b09cc86800',0);
CREATE TABLE _sync_replicas (
    replica_id TEXT PRIMARY KEY NOT NULL,
    office TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO _sync_replicas VALUES('bb14be67-1706-4692-9210-cd200f9a0deb','Kuckuck');
CREATE TABLE _sync_cursors (
    peer TEXT PRIMARY KEY NOT NULL,
    cursor INTEGER NOT NULL
, scope TEXT, epoch INTEGER) WITHOUT ROWID;
INSERT INTO _sync_cursors VALUES('c1647cdd-71e8-4c71-acc5-6bb63df0006b',1839513426348033,'["kuckuck"]',0);
CREATE TABLE _sync_remote (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    server_url TEXT NOT NULL,
    token TEXT NOT NULL
, token_file TEXT, ca_file TEXT, allow_insecure INTEGER NOT NULL DEFAULT 0);
INSERT INTO _sync_remote VALUES(1,'http://127.0.0.1:47321','','/tmp/fx/kuckuck.token',NULL,0);
CREATE TABLE _sync_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    result TEXT NOT NULL,
    sent INTEGER NOT NULL DEFAULT 0,
    received INTEGER NOT NULL DEFAULT 0,
    merged INTEGER NOT NULL DEFAULT 0,
    conflicts INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
INSERT INTO _sync_runs VALUES(1,'2026-12-04T15:57:10.311Z',52,'ok',2,0,0,0,NULL);
INSERT INTO _sync_runs VALUES(2,'2026-12-04T15:57:10.461Z',22,'ok',0,0,0,0,NULL);
CREATE TABLE _sync_routes (
    tbl TEXT NOT NULL,
    id TEXT NOT NULL,
    quartier TEXT NOT NULL, announced INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tbl, id, quartier)
) WITHOUT ROWID;
CREATE TABLE _sync_knowledge (
    replica_id TEXT PRIMARY KEY NOT NULL,
    counter INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO _sync_knowledge VALUES('bb14be67-1706-4692-9210-cd200f9a0deb',2);
CREATE TABLE _sync_acks (
    replica_id TEXT PRIMARY KEY NOT NULL,
    position INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE resolutions (
    id TEXT PRIMARY KEY NOT NULL DEFAULT (lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))),
    quartier TEXT NOT NULL,
    conflict_id TEXT NOT NULL,
    record_table TEXT NOT NULL,
    record_id TEXT NOT NULL,
    field TEXT NOT NULL,
    decision TEXT NOT NULL,
    chosen_office TEXT,
    office TEXT NOT NULL,
    reason TEXT NOT NULL,
    resolved_at TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE TABLE _sync_refused (
    tbl TEXT NOT NULL,
    id TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    refused_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), taken INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tbl, id)
);
CREATE TABLE _sync_leaving (
    tbl TEXT NOT NULL,
    id TEXT NOT NULL,
    route TEXT NOT NULL,
    after INTEGER NOT NULL,
    unserved INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tbl, id)
) WITHOUT ROWID;
CREATE TABLE _sync_refusals_discarded (
    tbl TEXT NOT NULL,
    id TEXT NOT NULL,
    code TEXT NOT NULL,
    refused_at TEXT,
    reason TEXT NOT NULL,
    discarded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('_sync_runs',2);
CREATE INDEX contacts_quartier ON contacts(quartier);
CREATE INDEX activities_quartier ON activities(quartier);
CREATE INDEX activities_starts_at ON activities(starts_at);
CREATE INDEX activities_organiser ON activities(organiser_id);
CREATE UNIQUE INDEX _sync_records_seq ON _sync_records(seq);
CREATE INDEX _sync_records_conflicts ON _sync_records(conflicts) WHERE conflicts > 0;
CREATE TRIGGER _check_activities_insert BEFORE INSERT ON activities
WHEN (SELECT applying FROM _sync_clock WHERE id = 1) = 0
    AND (NEW.handlungsfeld NOT IN ('wohnen-wohnumfeld', 'soziale-aktivitaeten-infrastruktur', 'zusammenleben', 'schule-bildung', 'lokale-oekonomie', 'stadtteilkultur', 'sport-freizeit', 'gesundheitsfoerderung', 'umwelt-verkehr', 'imageverbesserung')
        OR NEW.status NOT IN ('planned', 'held', 'cancelled'))
BEGIN
    SELECT RAISE(ABORT, 'activities.handlungsfeld must be one of wohnen-wohnumfeld, soziale-aktivitaeten-infrastruktur, zusammenleben, schule-bildung, lokale-oekonomie, stadtteilkultur, sport-freizeit, gesundheitsfoerderung, umwelt-verkehr, imageverbesserung; activities.status one of planned, held, cancelled');
END;
CREATE TRIGGER _check_activities_update BEFORE UPDATE ON activities
WHEN (SELECT applying FROM _sync_clock WHERE id = 1) = 0
    AND (OLD.handlungsfeld IS NOT NEW.handlungsfeld AND NEW.handlungsfeld NOT IN ('wohnen-wohnumfeld', 'soziale-aktivitaeten-infrastruktur', 'zusammenleben', 'schule-bildung', 'lokale-oekonomie', 'stadtteilkultur', 'sport-freizeit', 'gesundheitsfoerderung', 'umwelt-verkehr', 'imageverbesserung')
        OR OLD.status IS NOT NEW.status AND NEW.status NOT IN ('planned', 'held', 'cancelled'))
BEGIN
    SELECT RAISE(ABORT, 'activities.handlungsfeld must be one of wohnen-wohnumfeld, soziale-aktivitaeten-infrastruktur, zusammenleben, schule-bildung, lokale-oekonomie, stadtteilkultur, sport-freizeit, gesundheitsfoerderung, umwelt-verkehr, imageverbesserung; activities.status one of planned, held, cancelled');
END;
CREATE INDEX resolutions_quartier ON resolutions(quartier);
CREATE INDEX resolutions_record ON resolutions(record_table, record_id);
CREATE TRIGGER _sync_contacts_insert AFTER INSERT ON contacts
WHEN (SELECT applying FROM _sync_clock WHERE id = 1) = 0
BEGIN
UPDATE _sync_clock SET counter = counter + 1,
    hlc_logical = CASE WHEN CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) > hlc_ms THEN 0 ELSE hlc_logical + 1 END,
    hlc_ms = max(hlc_ms, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
    WHERE id = 1;
INSERT INTO _sync_log (seq, tbl, row_id, op, hlc_ms, hlc_logical, mask, route)
    SELECT counter, 'contacts', NEW.id, 'insert', hlc_ms, hlc_logical, 511, NEW.quartier
    FROM _sync_clock WHERE id = 1;
END;
CREATE TRIGGER _sync_contacts_update AFTER UPDATE ON contacts
WHEN (SELECT applying FROM _sync_clock WHERE id = 1) = 0 AND (((OLD.quartier IS NOT NEW.quartier) << 0) | ((OLD.name IS NOT NEW.name) << 1) | ((OLD.organisation IS NOT NEW.organisation) << 2) | ((OLD.role IS NOT NEW.role) << 3) | ((OLD.email IS NOT NEW.email) << 4) | ((OLD.phone IS NOT NEW.phone) << 5) | ((OLD.notes IS NOT NEW.notes) << 6) | ((OLD.consent_at IS NOT NEW.consent_at) << 7) | ((OLD.created_at IS NOT NEW.created_at) << 8)) != 0
BEGIN
UPDATE _sync_clock SET counter = counter + 1,
    hlc_logical = CASE WHEN CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) > hlc_ms THEN 0 ELSE hlc_logical + 1 END,
    hlc_ms = max(hlc_ms, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
    WHERE id = 1;
INSERT INTO _sync_log (seq, tbl, row_id, op, hlc_ms, hlc_logical, mask, route)
    SELECT counter, 'contacts', NEW.id, 'update', hlc_ms, hlc_logical, (((OLD.quartier IS NOT NEW.quartier) << 0) | ((OLD.name IS NOT NEW.name) << 1) | ((OLD.organisation IS NOT NEW.organisation) << 2) | ((OLD.role IS NOT NEW.role) << 3) | ((OLD.email IS NOT NEW.email) << 4) | ((OLD.phone IS NOT NEW.phone) << 5) | ((OLD.notes IS NOT NEW.notes) << 6) | ((OLD.consent_at IS NOT NEW.consent_at) << 7) | ((OLD.created_at IS NOT NEW.created_at) << 8)), NEW.quartier
    FROM _sync_clock WHERE id = 1;
UPDATE contacts SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
    WHERE id = NEW.id AND NEW.updated_at IS OLD.updated_at;
END;
CREATE TRIGGER _sync_contacts_delete AFTER DELETE ON contacts
WHEN (SELECT applying FROM _sync_clock WHERE id = 1) = 0
BEGIN
UPDATE _sync_clock SET counter = counter + 1,
    hlc_logical = CASE WHEN CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) > hlc_ms THEN 0 ELSE hlc_logical + 1 END,
    hlc_ms = max(hlc_ms, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
    WHERE id = 1;
INSERT INTO _sync_log (seq, tbl, row_id, op, hlc_ms, hlc_logical, mask, route)
    SELECT counter, 'contacts', OLD.id, 'delete', hlc_ms, hlc_logical, 0, OLD.quartier
    FROM _sync_clock WHERE id = 1;
END;
CREATE TRIGGER _sync_contacts_id_immutable BEFORE UPDATE OF id ON contacts
WHEN OLD.id IS NOT NEW.id
BEGIN
    SELECT RAISE(ABORT, 'the id of a record cannot change: insert a new record instead');
END;
CREATE TRIGGER _sync_activities_insert AFTER INSERT ON activities
WHEN (SELECT applying FROM _sync_clock WHERE id = 1) = 0
BEGIN
UPDATE _sync_clock SET counter = counter + 1,
    hlc_logical = CASE WHEN CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) > hlc_ms THEN 0 ELSE hlc_logical + 1 END,
    hlc_ms = max(hlc_ms, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
    WHERE id = 1;
INSERT INTO _sync_log (seq, tbl, row_id, op, hlc_ms, hlc_logical, mask, route)
    SELECT counter, 'activities', NEW.id, 'insert', hlc_ms, hlc_logical, 1023, NEW.quartier
    FROM _sync_clock WHERE id = 1;
END;
CREATE TRIGGER _sync_activities_update AFTER UPDATE ON activities
WHEN (SELECT applying FROM _sync_clock WHERE id = 1) = 0 AND (((OLD.quartier IS NOT NEW.quartier) << 0) | ((OLD.title IS NOT NEW.title) << 1) | ((OLD.description IS NOT NEW.description) << 2) | ((OLD.starts_at IS NOT NEW.starts_at) << 3) | ((OLD.ends_at IS NOT NEW.ends_at) << 4) | ((OLD.location IS NOT NEW.location) << 5) | ((OLD.handlungsfeld IS NOT NEW.handlungsfeld) << 6) | ((OLD.organiser_id IS NOT NEW.organiser_id) << 7) | ((OLD.status IS NOT NEW.status) << 8) | ((OLD.created_at IS NOT NEW.created_at) << 9)) != 0
BEGIN
UPDATE _sync_clock SET counter = counter + 1,
    hlc_logical = CASE WHEN CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) > hlc_ms THEN 0 ELSE hlc_logical + 1 END,
    hlc_ms = max(hlc_ms, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
    WHERE id = 1;
INSERT INTO _sync_log (seq, tbl, row_id, op, hlc_ms, hlc_logical, mask, route)
    SELECT counter, 'activities', NEW.id, 'update', hlc_ms, hlc_logical, (((OLD.quartier IS NOT NEW.quartier) << 0) | ((OLD.title IS NOT NEW.title) << 1) | ((OLD.description IS NOT NEW.description) << 2) | ((OLD.starts_at IS NOT NEW.starts_at) << 3) | ((OLD.ends_at IS NOT NEW.ends_at) << 4) | ((OLD.location IS NOT NEW.location) << 5) | ((OLD.handlungsfeld IS NOT NEW.handlungsfeld) << 6) | ((OLD.organiser_id IS NOT NEW.organiser_id) << 7) | ((OLD.status IS NOT NEW.status) << 8) | ((OLD.created_at IS NOT NEW.created_at) << 9)), NEW.quartier
    FROM _sync_clock WHERE id = 1;
UPDATE activities SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
    WHERE id = NEW.id AND NEW.updated_at IS OLD.updated_at;
END;
CREATE TRIGGER _sync_activities_delete AFTER DELETE ON activities
WHEN (SELECT applying FROM _sync_clock WHERE id = 1) = 0
BEGIN
UPDATE _sync_clock SET counter = counter + 1,
    hlc_logical = CASE WHEN CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) > hlc_ms THEN 0 ELSE hlc_logical + 1 END,
    hlc_ms = max(hlc_ms, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
    WHERE id = 1;
INSERT INTO _sync_log (seq, tbl, row_id, op, hlc_ms, hlc_logical, mask, route)
    SELECT counter, 'activities', OLD.id, 'delete', hlc_ms, hlc_logical, 0, OLD.quartier
    FROM _sync_clock WHERE id = 1;
END;
CREATE TRIGGER _sync_activities_id_immutable BEFORE UPDATE OF id ON activities
WHEN OLD.id IS NOT NEW.id
BEGIN
    SELECT RAISE(ABORT, 'the id of a record cannot change: insert a new record instead');
END;
CREATE TRIGGER _sync_resolutions_insert AFTER INSERT ON resolutions
WHEN (SELECT applying FROM _sync_clock WHERE id = 1) = 0
BEGIN
UPDATE _sync_clock SET counter = counter + 1,
    hlc_logical = CASE WHEN CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) > hlc_ms THEN 0 ELSE hlc_logical + 1 END,
    hlc_ms = max(hlc_ms, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
    WHERE id = 1;
INSERT INTO _sync_log (seq, tbl, row_id, op, hlc_ms, hlc_logical, mask, route)
    SELECT counter, 'resolutions', NEW.id, 'insert', hlc_ms, hlc_logical, 1023, NEW.quartier
    FROM _sync_clock WHERE id = 1;
END;
CREATE TRIGGER _sync_resolutions_update AFTER UPDATE ON resolutions
WHEN (SELECT applying FROM _sync_clock WHERE id = 1) = 0 AND (((OLD.quartier IS NOT NEW.quartier) << 0) | ((OLD.conflict_id IS NOT NEW.conflict_id) << 1) | ((OLD.record_table IS NOT NEW.record_table) << 2) | ((OLD.record_id IS NOT NEW.record_id) << 3) | ((OLD.field IS NOT NEW.field) << 4) | ((OLD.decision IS NOT NEW.decision) << 5) | ((OLD.chosen_office IS NOT NEW.chosen_office) << 6) | ((OLD.office IS NOT NEW.office) << 7) | ((OLD.reason IS NOT NEW.reason) << 8) | ((OLD.resolved_at IS NOT NEW.resolved_at) << 9)) != 0
BEGIN
UPDATE _sync_clock SET counter = counter + 1,
    hlc_logical = CASE WHEN CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) > hlc_ms THEN 0 ELSE hlc_logical + 1 END,
    hlc_ms = max(hlc_ms, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
    WHERE id = 1;
INSERT INTO _sync_log (seq, tbl, row_id, op, hlc_ms, hlc_logical, mask, route)
    SELECT counter, 'resolutions', NEW.id, 'update', hlc_ms, hlc_logical, (((OLD.quartier IS NOT NEW.quartier) << 0) | ((OLD.conflict_id IS NOT NEW.conflict_id) << 1) | ((OLD.record_table IS NOT NEW.record_table) << 2) | ((OLD.record_id IS NOT NEW.record_id) << 3) | ((OLD.field IS NOT NEW.field) << 4) | ((OLD.decision IS NOT NEW.decision) << 5) | ((OLD.chosen_office IS NOT NEW.chosen_office) << 6) | ((OLD.office IS NOT NEW.office) << 7) | ((OLD.reason IS NOT NEW.reason) << 8) | ((OLD.resolved_at IS NOT NEW.resolved_at) << 9)), NEW.quartier
    FROM _sync_clock WHERE id = 1;
UPDATE resolutions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
    WHERE id = NEW.id AND NEW.updated_at IS OLD.updated_at;
END;
CREATE TRIGGER _sync_resolutions_delete AFTER DELETE ON resolutions
WHEN (SELECT applying FROM _sync_clock WHERE id = 1) = 0
BEGIN
UPDATE _sync_clock SET counter = counter + 1,
    hlc_logical = CASE WHEN CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) > hlc_ms THEN 0 ELSE hlc_logical + 1 END,
    hlc_ms = max(hlc_ms, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
    WHERE id = 1;
INSERT INTO _sync_log (seq, tbl, row_id, op, hlc_ms, hlc_logical, mask, route)
    SELECT counter, 'resolutions', OLD.id, 'delete', hlc_ms, hlc_logical, 0, OLD.quartier
    FROM _sync_clock WHERE id = 1;
END;
CREATE TRIGGER _sync_resolutions_id_immutable BEFORE UPDATE OF id ON resolutions
WHEN OLD.id IS NOT NEW.id
BEGIN
    SELECT RAISE(ABORT, 'the id of a record cannot change: insert a new record instead');
END;
CREATE TRIGGER _sync_records_route AFTER UPDATE OF quartier ON _sync_records
WHEN OLD.quartier IS NOT NEW.quartier AND OLD.quartier IS NOT NULL
BEGIN
    -- Not INSERT OR IGNORE: inside a trigger the outer statement's conflict handling
    -- (the upsert's) takes over, and a route already known would abort it.
    INSERT INTO _sync_routes (tbl, id, quartier)
        SELECT OLD.tbl, OLD.id, OLD.quartier
        WHERE NOT EXISTS (
            SELECT 1 FROM _sync_routes WHERE tbl = OLD.tbl AND id = OLD.id AND quartier = OLD.quartier);
    UPDATE _sync_routes SET announced = 0
        WHERE tbl = OLD.tbl AND id = OLD.id AND quartier = OLD.quartier AND announced = 1;
END
;
COMMIT;
