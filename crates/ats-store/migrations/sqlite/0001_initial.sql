-- Keys the vendor issued to customers: SHA-256 digests only.
CREATE TABLE issued_keys (
    key_hash   BLOB PRIMARY KEY,
    provider   TEXT NOT NULL,
    tenant     TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX issued_keys_tenant ON issued_keys (provider, tenant);

-- Secrets (customers' API keys, OAuth tokens, signing secrets), sealed with
-- an AEAD; `version` increases on every write (compare-and-swap), the lease
-- columns let one instance at a time refresh a rotating credential.
CREATE TABLE secrets (
    provider     TEXT NOT NULL,
    tenant       TEXT NOT NULL,
    name         TEXT NOT NULL,
    sealed       BLOB NOT NULL,
    key_id       INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    lease_holder TEXT,
    lease_until  INTEGER,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (provider, tenant, name)
);

-- Plain per-tenant settings and id maps (no secrets).
CREATE TABLE settings (
    provider   TEXT NOT NULL,
    tenant     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (provider, tenant, kind, name)
);

-- Signed deliveries already received (replay defence).
CREATE TABLE deliveries (
    provider    TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (provider, delivery_id)
);

-- Every inbound call that must be answered once: the first answer is kept
-- and returned to every redelivery.
CREATE TABLE intake (
    provider    TEXT NOT NULL,
    tenant      TEXT NOT NULL,
    dedup_key   TEXT NOT NULL,
    operation   TEXT NOT NULL,
    state       TEXT NOT NULL,
    lease_until INTEGER NOT NULL,
    status      INTEGER,
    headers     TEXT,
    body        BLOB,
    created_at  INTEGER NOT NULL,
    answered_at INTEGER,
    PRIMARY KEY (provider, tenant, dedup_key)
);
CREATE INDEX intake_created ON intake (created_at);

-- Orders the vendor accepted, with the handle results are written back with.
CREATE TABLE orders (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    provider             TEXT NOT NULL,
    tenant               TEXT NOT NULL,
    order_key            TEXT NOT NULL,
    vendor_assessment_id TEXT,
    provider_order_id    TEXT,
    candidate_id         TEXT,
    handle               TEXT NOT NULL,
    status               TEXT NOT NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    UNIQUE (provider, tenant, order_key)
);
CREATE INDEX orders_vendor_id ON orders (vendor_assessment_id);

-- Results waiting to be written back, and what became of them.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id        INTEGER NOT NULL REFERENCES orders (id),
    status          TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    claimed_by      TEXT,
    lease_until     INTEGER,
    last_error      TEXT,
    last_http       INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_order ON outbox (order_id, id);

-- What came in and went out.
CREATE TABLE activity (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           INTEGER NOT NULL,
    direction    TEXT NOT NULL,
    provider     TEXT NOT NULL,
    tenant       TEXT,
    operation    TEXT NOT NULL,
    order_id     TEXT,
    candidate_id TEXT,
    outcome      TEXT NOT NULL,
    error_kind   TEXT,
    message      TEXT,
    http_status  INTEGER,
    attempt      INTEGER,
    duration_ms  INTEGER NOT NULL,
    body         TEXT
);
CREATE INDEX activity_at ON activity (at);
CREATE INDEX activity_tenant ON activity (tenant, at);
CREATE INDEX activity_order ON activity (order_id);
