-- Up Migration

-- Where a request came from: the web/API intake or an SMS conversation.
ALTER TABLE requests ADD COLUMN source text NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'web', 'sms'));

-- One row per message or call to a requester. `dedupe_key` makes one event give one
-- notification; `twilio_sid` is recorded the moment Twilio accepts, before the job completes.
CREATE TABLE notifications (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id      bigint NOT NULL REFERENCES requests (id),
  kind            text NOT NULL CHECK (kind IN (
                    'received', 'reached_safe', 'reached_needs_help', 'wrong_number', 'unreachable', 'cancelled')),
  channel         text NOT NULL CHECK (channel IN ('sms', 'voice')),
  language        text NOT NULL CHECK (language IN ('kk', 'ru', 'en')),
  to_phone        text,
  dedupe_key      text NOT NULL UNIQUE,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN (
                    'pending', 'sending', 'queued', 'sent', 'delivered', 'undelivered', 'failed', 'suppressed')),
  provider_status text,
  twilio_sid      text UNIQUE,
  error_code      integer,
  error_message   text,
  attempts        integer NOT NULL DEFAULT 0,
  sending_since   timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_request ON notifications (request_id);
CREATE INDEX notifications_problems ON notifications (status) WHERE status IN ('failed', 'undelivered');

-- Numbers that sent STOP: nothing is sent to them until they send START.
CREATE TABLE opt_outs (
  phone          text PRIMARY KEY,
  opted_out_at   timestamptz NOT NULL DEFAULT now()
);

-- An SMS conversation that has not become a request yet; expires after an idle time.
CREATE TABLE sms_conversations (
  phone       text PRIMARY KEY,
  language    text NOT NULL CHECK (language IN ('kk', 'ru', 'en')),
  step        text NOT NULL,
  draft       jsonb NOT NULL DEFAULT '{}',
  updated_at  timestamptz NOT NULL DEFAULT now()
);
-- The language a number chose, kept after its conversation ends.
CREATE TABLE sms_senders (
  phone      text PRIMARY KEY,
  language   text NOT NULL CHECK (language IN ('kk', 'ru', 'en')),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Inbound webhooks already handled, by MessageSid, with the reply given, so that a repeated
-- delivery is processed once and answered the same. Purged after a day.
CREATE TABLE inbound_messages (
  message_sid text PRIMARY KEY,
  reply       text,
  received_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE inbound_messages;
DROP TABLE sms_senders;
DROP TABLE sms_conversations;
DROP TABLE opt_outs;
DROP TABLE notifications;
ALTER TABLE requests DROP COLUMN source;
