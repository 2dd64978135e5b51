-- Up Migration

-- Requests by state, kept current without counting a million rows: every statement that adds
-- or moves requests appends its net change to request_count_deltas (appending takes no lock
-- that concurrent intakes would queue on); maintenance folds the deltas into request_counts.
CREATE TABLE request_counts (
  status text PRIMARY KEY,
  n      bigint NOT NULL
);
CREATE TABLE request_count_deltas (
  id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  status text NOT NULL,
  delta  bigint NOT NULL
);
INSERT INTO request_counts (status, n) SELECT status, count(*) FROM requests GROUP BY status;

CREATE FUNCTION count_inserted_requests() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO request_count_deltas (status, delta) SELECT status, count(*) FROM new_rows GROUP BY status;
  RETURN NULL;
END $$;
CREATE FUNCTION count_updated_requests() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO request_count_deltas (status, delta)
  SELECT status, sum(delta) FROM (
    SELECT n.status, 1 AS delta FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.status <> o.status
    UNION ALL
    SELECT o.status, -1 FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.status <> o.status
  ) changes GROUP BY status;
  RETURN NULL;
END $$;
CREATE TRIGGER requests_count_insert AFTER INSERT ON requests
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_inserted_requests();
CREATE TRIGGER requests_count_update AFTER UPDATE ON requests
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_updated_requests();

-- Escalation: raised once when waiting too long.
ALTER TABLE requests ADD COLUMN escalated_at timestamptz;
-- The relative's name folded across Kazakh, Russian and Latin spellings, for duplicate hints.
ALTER TABLE requests ADD COLUMN relative_name_key text;

-- The backlog's queries over a million requests touch only these small or ordered sets.
CREATE INDEX requests_waiting ON requests (created_at) INCLUDE (priority, requester_language, city_key, escalated_at)
  WHERE status IN ('received', 'queued');
CREATE INDEX requests_created ON requests (created_at);
CREATE INDEX requests_open_names ON requests (city_key, relative_name_key)
  WHERE status IN ('received', 'queued', 'claimed');
CREATE INDEX requests_to_purge ON requests (closed_at) WHERE purged_at IS NULL AND closed_at IS NOT NULL;
CREATE INDEX request_events_outcomes ON request_events (created_at) WHERE type = 'outcome';
CREATE INDEX request_events_type_time ON request_events (type, created_at);

-- A requester whose request was merged into another is told the surviving reference.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
  'received', 'reached_safe', 'reached_needs_help', 'wrong_number', 'unreachable', 'cancelled', 'message', 'merged'));

-- Down Migration
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
  'received', 'reached_safe', 'reached_needs_help', 'wrong_number', 'unreachable', 'cancelled', 'message'));
DROP INDEX request_events_type_time;
DROP INDEX requests_to_purge;
DROP INDEX request_events_outcomes;
DROP INDEX requests_open_names;
DROP INDEX requests_created;
DROP INDEX requests_waiting;
ALTER TABLE requests DROP COLUMN relative_name_key;
ALTER TABLE requests DROP COLUMN escalated_at;
DROP TRIGGER requests_count_update ON requests;
DROP TRIGGER requests_count_insert ON requests;
DROP FUNCTION count_updated_requests();
DROP FUNCTION count_inserted_requests();
DROP TABLE request_count_deltas;
DROP TABLE request_counts;
