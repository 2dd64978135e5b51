-- Up Migration

-- A check-in request: who asks, about whom, and where it stands. Personal columns are
-- nullable because the retention purge blanks them and keeps the row for the counts.
CREATE TABLE requests (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  reference          text NOT NULL UNIQUE,
  status             text NOT NULL DEFAULT 'received' CHECK (status IN (
                       'received', 'queued', 'claimed', 'reached_safe', 'reached_needs_help',
                       'wrong_number', 'unreachable', 'cancelled', 'duplicate')),
  requester_name     text,
  requester_phone    text,
  requester_language text NOT NULL CHECK (requester_language IN ('kk', 'ru', 'en')),
  notify_via         text NOT NULL CHECK (notify_via IN ('sms', 'voice')),
  relative_name      text,
  relative_phone     text,
  relative_alt_phone text,
  relative_city      text,
  city_key           text NOT NULL,
  relative_address   text,
  relative_notes     text,
  flag_elderly       boolean NOT NULL DEFAULT false,
  flag_medical       boolean NOT NULL DEFAULT false,
  flag_children      boolean NOT NULL DEFAULT false,
  flag_disability    boolean NOT NULL DEFAULT false,
  priority           smallint NOT NULL CHECK (priority BETWEEN 1 AND 100),
  attempts           integer NOT NULL DEFAULT 0,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  closed_at          timestamptz,
  purged_at          timestamptz
);

-- One open request per requester and relative: a second identical ask joins the first.
CREATE UNIQUE INDEX requests_open_pair ON requests (requester_phone, relative_phone)
  WHERE status IN ('received', 'queued', 'claimed');
CREATE INDEX requests_status_created ON requests (status, created_at);

-- The history of every request: append-only, never personal data in `data`.
CREATE TABLE request_events (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id  bigint NOT NULL REFERENCES requests (id),
  type        text NOT NULL,
  from_status text,
  to_status   text,
  actor_type  text NOT NULL CHECK (actor_type IN ('requester', 'system', 'volunteer', 'coordinator')),
  actor_id    text,
  data        jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX request_events_request ON request_events (request_id, id);

CREATE FUNCTION request_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'request_events is append-only';
END $$;
CREATE TRIGGER request_events_append_only BEFORE UPDATE OR DELETE ON request_events
  FOR EACH ROW EXECUTE FUNCTION request_events_append_only();

-- Transactional outbox: written with the change it announces; a relay moves rows to BullMQ.
CREATE TABLE outbox (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topic        text NOT NULL,
  request_id   bigint REFERENCES requests (id),
  payload      jsonb NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now(),
  available_at timestamptz NOT NULL DEFAULT now(),
  attempts     integer NOT NULL DEFAULT 0,
  last_error   text,
  sent_at      timestamptz
);
CREATE INDEX outbox_pending ON outbox (available_at, id) WHERE sent_at IS NULL;

-- Wakes the relays at once; the payload is the schema so that relays of other schemas ignore it.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('bailanys_outbox', TG_TABLE_SCHEMA);
  RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- Idempotency-Key: the first request with a key decides the answer for every retry with it.
CREATE TABLE idempotency_keys (
  key         text PRIMARY KEY,
  fingerprint text NOT NULL,
  request_id  bigint REFERENCES requests (id),
  status_code smallint,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE idempotency_keys;
DROP TRIGGER outbox_notify ON outbox;
DROP FUNCTION outbox_notify();
DROP TABLE outbox;
DROP TABLE request_events;
DROP FUNCTION request_events_append_only();
DROP TABLE requests;
