-- Up Migration

-- Requests can come from the voice line.
ALTER TABLE requests DROP CONSTRAINT requests_source_check;
ALTER TABLE requests ADD CONSTRAINT requests_source_check CHECK (source IN ('api', 'web', 'sms', 'voice'));

-- A call to the voice line, keyed by Twilio's CallSid, while it goes on: the step it is at, what
-- the caller entered so far, and the request once created. `turn` counts the answers taken: a
-- webhook Twilio retries carries an old turn and changes nothing. Purged a day after the call.
CREATE TABLE voice_calls (
  call_sid        text PRIMARY KEY,
  step            text NOT NULL,
  turn            integer NOT NULL DEFAULT 0,
  retries         smallint NOT NULL DEFAULT 0,
  language        text CHECK (language IN ('kk', 'ru', 'en')),
  -- The caller's number from caller ID, or the callback number they typed once confirmed.
  caller_phone    text,
  caller_can_sms  boolean NOT NULL DEFAULT false,
  has_requests    boolean NOT NULL DEFAULT false,
  -- Digits typed at a number step, waiting for "1 to confirm".
  entered         text,
  relative_phone  text,
  place_id        text,
  request_id      bigint REFERENCES requests (id),
  -- The caller already had this request (the same relative): the call read its reference back.
  request_existed boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX voice_calls_updated ON voice_calls (updated_at);

-- Recordings made on the voice line (the place, the relative's name): Twilio keeps the audio,
-- we keep its reference. Deleted at Twilio once the request's personal data is purged (or a day
-- after a call that made no request); `deleted_at` says it is gone there.
CREATE TABLE voice_recordings (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_sid       text NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('place', 'name')),
  recording_sid  text NOT NULL UNIQUE,
  media_url      text,
  duration       integer,
  request_id     bigint REFERENCES requests (id),
  created_at     timestamptz NOT NULL DEFAULT now(),
  deleted_at     timestamptz
);
CREATE INDEX voice_recordings_request ON voice_recordings (request_id, kind, id) WHERE deleted_at IS NULL;
CREATE INDEX voice_recordings_call ON voice_recordings (call_sid) WHERE request_id IS NULL;
CREATE INDEX voice_recordings_live ON voice_recordings (id) WHERE deleted_at IS NULL;

-- Down Migration
DROP TABLE voice_recordings;
DROP TABLE voice_calls;
ALTER TABLE requests DROP CONSTRAINT requests_source_check;
ALTER TABLE requests ADD CONSTRAINT requests_source_check CHECK (source IN ('api', 'web', 'sms'));
