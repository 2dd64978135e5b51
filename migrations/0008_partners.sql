-- Up Migration

-- Partner organisations that take cases on: aid groups (needs) and search groups (the unreached).
-- `regions` holds city keys (src/domain/kz-cities.ts); `everywhere` covers the whole country.
CREATE TABLE partners (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name            text NOT NULL,
  categories      text[] NOT NULL CHECK (categories <@ ARRAY['medical', 'food', 'shelter', 'legal_aid', 'search', 'other']),
  regions         text[] NOT NULL DEFAULT '{}',
  everywhere      boolean NOT NULL DEFAULT false,
  languages       text[] NOT NULL CHECK (languages <@ ARRAY['kk', 'ru', 'en']),
  intake          text NOT NULL CHECK (intake IN ('pages', 'webhook', 'both')),
  webhook_url     text,
  webhook_secret  text,
  -- The requester may be told this partner's name (the partner agreed to it).
  may_be_named    boolean NOT NULL DEFAULT false,
  active          boolean NOT NULL DEFAULT true,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Partner accounts log in through the same pages as volunteers and coordinators.
ALTER TABLE accounts DROP CONSTRAINT accounts_role_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_role_check CHECK (role IN ('volunteer', 'coordinator', 'partner'));
ALTER TABLE accounts ADD COLUMN partner_id bigint REFERENCES partners (id);
ALTER TABLE accounts ADD CONSTRAINT accounts_partner_role CHECK ((role = 'partner') = (partner_id IS NOT NULL));

-- API keys: only the sha256 of the token is kept; `prefix` lets a coordinator tell keys apart.
CREATE TABLE partner_keys (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  partner_id   bigint NOT NULL REFERENCES partners (id),
  key_hash     text NOT NULL UNIQUE,
  prefix       text NOT NULL,
  label        text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX partner_keys_partner ON partner_keys (partner_id);

-- A case passed on: needs (with the family's consent, or without their name and phone) or a
-- search for a relative nobody reached. `partner_id` NULL: back with the coordinators.
CREATE TABLE referrals (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id      bigint NOT NULL REFERENCES requests (id),
  kind            text NOT NULL CHECK (kind IN ('needs', 'search')),
  state           text NOT NULL CHECK (state IN ('offered', 'accepted', 'done', 'unassigned')),
  partner_id      bigint REFERENCES partners (id),
  categories      text[] NOT NULL,
  note            text,
  -- The family agreed that their name and phone go to the partner.
  consent         boolean NOT NULL DEFAULT false,
  -- Partners that declined it (or let it sit): never offered to them again.
  declined_by     bigint[] NOT NULL DEFAULT '{}',
  offered_at      timestamptz NOT NULL DEFAULT now(),
  escalated_at    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  closed_at       timestamptz,
  purged_at       timestamptz,
  CHECK ((state = 'unassigned') = (partner_id IS NULL))
);
CREATE UNIQUE INDEX referrals_one_per_kind ON referrals (request_id, kind);
CREATE INDEX referrals_partner_open ON referrals (partner_id, state) WHERE state IN ('offered', 'accepted');
CREATE INDEX referrals_waiting ON referrals (offered_at) WHERE state IN ('offered', 'unassigned');
CREATE INDEX referrals_updated ON referrals (updated_at, id);

-- What happened to a referral, and who did it: append-only.
CREATE TABLE referral_events (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  referral_id  bigint NOT NULL REFERENCES referrals (id),
  type         text NOT NULL,
  partner_id   bigint REFERENCES partners (id),
  actor_type   text NOT NULL CHECK (actor_type IN ('system', 'volunteer', 'coordinator', 'partner')),
  actor_id     text,
  data         jsonb NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX referral_events_referral ON referral_events (referral_id, id);
CREATE TRIGGER referral_events_append_only BEFORE UPDATE OR DELETE ON referral_events
  FOR EACH ROW EXECUTE FUNCTION request_events_append_only();

-- PFIF 1.4 notes a search partner posts back (`text` is blanked by the retention purge).
CREATE TABLE referral_notes (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  referral_id     bigint NOT NULL REFERENCES referrals (id),
  partner_id      bigint NOT NULL REFERENCES partners (id),
  note_record_id  text NOT NULL,
  status          text,
  author_made_contact boolean NOT NULL DEFAULT false,
  found           boolean NOT NULL DEFAULT false,
  text            text,
  source_date     timestamptz NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (partner_id, note_record_id)
);

-- Webhook pushes to partners: the id is the delivery id the partner sees (and the job id).
CREATE TABLE partner_deliveries (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  partner_id    bigint NOT NULL REFERENCES partners (id),
  referral_id   bigint NOT NULL REFERENCES referrals (id),
  event         text NOT NULL,
  state         text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
  attempts      integer NOT NULL DEFAULT 0,
  last_status   integer,
  last_error    text,
  -- Set once the worker has put the delivery in the partner-webhooks queue (job id = delivery id).
  enqueued_at   timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  delivered_at  timestamptz
);
CREATE INDEX partner_deliveries_state ON partner_deliveries (state, id);
CREATE INDEX partner_deliveries_to_enqueue ON partner_deliveries (id) WHERE enqueued_at IS NULL;

-- Partners act on requests' histories too.
ALTER TABLE request_events DROP CONSTRAINT request_events_actor_type_check;
ALTER TABLE request_events ADD CONSTRAINT request_events_actor_type_check
  CHECK (actor_type IN ('requester', 'system', 'volunteer', 'coordinator', 'partner'));

-- The requester is told that the case was passed on, and that a search group found the relative.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
  'received', 'reached_safe', 'reached_needs_help', 'wrong_number', 'unreachable', 'cancelled', 'message', 'merged',
  'referred', 'found'));

-- Down Migration
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
  'received', 'reached_safe', 'reached_needs_help', 'wrong_number', 'unreachable', 'cancelled', 'message', 'merged'));
ALTER TABLE request_events DROP CONSTRAINT request_events_actor_type_check;
ALTER TABLE request_events ADD CONSTRAINT request_events_actor_type_check
  CHECK (actor_type IN ('requester', 'system', 'volunteer', 'coordinator'));
DROP TABLE partner_deliveries;
DROP TABLE referral_notes;
DROP TABLE referral_events;
DROP TABLE referrals;
DROP TABLE partner_keys;
ALTER TABLE accounts DROP CONSTRAINT accounts_partner_role;
ALTER TABLE accounts DROP COLUMN partner_id;
ALTER TABLE accounts DROP CONSTRAINT accounts_role_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_role_check CHECK (role IN ('volunteer', 'coordinator'));
DROP TABLE partners;
