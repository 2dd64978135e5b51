-- Up Migration

-- Everyone who asked about a request's relative. The first requester is also on the request row;
-- a sibling asking about the same mother is linked here: one task, one call, one outcome for all.
CREATE TABLE request_requesters (
  request_id  bigint NOT NULL REFERENCES requests (id),
  phone       text,
  name        text,
  language    text NOT NULL CHECK (language IN ('kk', 'ru', 'en')),
  notify_via  text NOT NULL CHECK (notify_via IN ('sms', 'voice')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (request_id, phone)
);
CREATE INDEX request_requesters_phone ON request_requesters (phone);
INSERT INTO request_requesters (request_id, phone, name, language, notify_via, created_at)
  SELECT id, requester_phone, requester_name, requester_language, notify_via, created_at
  FROM requests WHERE requester_phone IS NOT NULL;

-- One open request per relative (was: per requester and relative).
DROP INDEX requests_open_pair;
CREATE UNIQUE INDEX requests_open_relative ON requests (relative_phone)
  WHERE status IN ('received', 'queued', 'claimed');
-- Other names the relative was given by linked requesters.
ALTER TABLE requests ADD COLUMN relative_other_names text[] NOT NULL DEFAULT '{}';
CREATE INDEX requests_queue_order ON requests (priority, created_at) WHERE status = 'queued';

-- Volunteers and coordinators.
CREATE TABLE accounts (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  role          text NOT NULL CHECK (role IN ('volunteer', 'coordinator')),
  name          text NOT NULL,
  phone         text NOT NULL UNIQUE,
  email         text UNIQUE,
  password_hash text NOT NULL,
  languages     text[] NOT NULL DEFAULT '{}',
  status        text NOT NULL CHECK (status IN ('pending', 'approved', 'suspended')),
  available     boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Bearer tokens and cookie sessions; only a hash of the token is stored.
CREATE TABLE sessions (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  token_hash  text NOT NULL UNIQUE,
  account_id  bigint NOT NULL REFERENCES accounts (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Who saw a family's details, and every other sensitive action: append-only.
CREATE TABLE audit_events (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id  bigint REFERENCES accounts (id),
  action      text NOT NULL,
  request_id  bigint REFERENCES requests (id),
  data        jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_request ON audit_events (request_id, id);
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION request_events_append_only();

-- The lease: the BullMQ job lock a volunteer holds, with its token, readable by every API instance.
CREATE TABLE leases (
  request_id  bigint PRIMARY KEY REFERENCES requests (id),
  account_id  bigint NOT NULL REFERENCES accounts (id),
  queue       text NOT NULL,
  job_id      text NOT NULL,
  token       text NOT NULL,
  claimed_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX leases_account ON leases (account_id);
CREATE INDEX leases_expiry ON leases (expires_at);

-- Each call attempt on a request: who, when, how it ended, and the bridged call's progress.
CREATE TABLE attempts (
  id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id            bigint NOT NULL REFERENCES requests (id),
  account_id            bigint NOT NULL REFERENCES accounts (id),
  outcome               text CHECK (outcome IN ('reached_safe', 'reached_needs_help', 'no_answer', 'busy', 'wrong_number')),
  needs                 text[] NOT NULL DEFAULT '{}',
  message_to_requester  text,
  note                  text,
  call_sid              text UNIQUE,
  call_status           text,
  dial_status           text,
  call_duration         integer,
  started_at            timestamptz NOT NULL DEFAULT now(),
  finished_at           timestamptz
);
CREATE INDEX attempts_request ON attempts (request_id, id);

-- A language chosen with LANG beats the one guessed from a message's words.
ALTER TABLE sms_senders ADD COLUMN chosen boolean NOT NULL DEFAULT false;

-- A volunteer's short message to the requester rides on the outcome notification (read out on a
-- call; a second SMS of its own, kind 'message', for SMS requesters, so each SMS fits two segments).
ALTER TABLE notifications ADD COLUMN message text;
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
  'received', 'reached_safe', 'reached_needs_help', 'wrong_number', 'unreachable', 'cancelled', 'message'));

-- The outbox no longer wakes relays by NOTIFY: a transaction that notifies takes a database-wide
-- lock at commit, which made every intake commit wait for the one before (see BENCHMARKS.md).
-- Relays poll the small partial index every OUTBOX_POLL_MS instead.
DROP TRIGGER outbox_notify ON outbox;
DROP FUNCTION outbox_notify();

-- Down Migration
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
  'received', 'reached_safe', 'reached_needs_help', 'wrong_number', 'unreachable', 'cancelled'));
ALTER TABLE notifications DROP COLUMN message;
ALTER TABLE sms_senders DROP COLUMN chosen;
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('bailanys_outbox', TG_TABLE_SCHEMA);
  RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
DROP TABLE attempts;
DROP TABLE leases;
DROP TABLE audit_events;
DROP TABLE sessions;
DROP TABLE accounts;
DROP INDEX requests_queue_order;
ALTER TABLE requests DROP COLUMN relative_other_names;
DROP INDEX requests_open_relative;
CREATE UNIQUE INDEX requests_open_pair ON requests (requester_phone, relative_phone)
  WHERE status IN ('received', 'queued', 'claimed');
DROP TABLE request_requesters;
