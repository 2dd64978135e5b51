-- Up Migration

-- The reconciler walks the open requests and the unsent notifications by id, in batches, every
-- few seconds: these small partial indexes keep each walk proportional to the open work, not to
-- every request ever received.
CREATE INDEX requests_open_id ON requests (id) WHERE status IN ('received', 'queued', 'claimed');
CREATE INDEX notifications_unsent ON notifications (id) WHERE status IN ('pending', 'sending');

-- Running totals of what the reconciler put back into (or took out of) the queues, and when it
-- last ran: written by the worker that reconciles, read by every API instance's /metrics.
CREATE TABLE reconciler_totals (
  name       text PRIMARY KEY,
  n          bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE reconciler_totals;
DROP INDEX notifications_unsent;
DROP INDEX requests_open_id;
