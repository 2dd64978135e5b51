-- Up Migration

-- How the relative is related to the requester, as the requester wrote it ("мама", "анам",
-- "brother"): shown to the volunteer next to the name, which an SMS may not give at all
-- (relative_name stays NULL then, "not given: ask" on the task card). Blanked by the purge.
ALTER TABLE requests ADD COLUMN relative_relation text;

-- A conversation now also outlives its request for a while: once the phone and the place are
-- known the request is created at once, and the row keeps only the request's id and reference
-- (draft {requestId, reference}, step 'needs') to take the optional urgent needs that may follow.
COMMENT ON TABLE sms_conversations IS
  'An SMS conversation: what it knows before its request exists, or the request it made (needs may follow). Purged after a day idle.';

-- Down Migration
COMMENT ON TABLE sms_conversations IS NULL;
ALTER TABLE requests DROP COLUMN relative_relation;
