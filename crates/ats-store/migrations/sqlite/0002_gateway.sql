-- The last result reported for an order (answers status queries).
ALTER TABLE orders ADD COLUMN last_result TEXT;

-- Events for the vendor's own endpoint (the gateway), delivered at least
-- once, signed per the Standard Webhooks specification.
CREATE TABLE vendor_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    provider        TEXT NOT NULL,
    tenant          TEXT,
    order_key       TEXT,
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
CREATE INDEX vendor_events_due ON vendor_events (state, next_attempt_at);
