-- Erasure reaches every form of an identifier: tombstones say which network (or 'klout', for
-- the Klout-style id of an erased account or person) their digest belongs to, so that texts
-- can be searched for erased ids without listing every network the store ever held. Network
-- names are not personal data; the digest still hides the id. Older tombstones keep NULL, and
-- the search then tries every network the store knows.
ALTER TABLE tombstones ADD COLUMN network VARCHAR;

-- Audit entries made by the server are first written to its durable journal beside the store
-- (see sway.store.audit_journal); each carries the id it had there, so that moving entries
-- from the journal into this table twice (after a crash between the two) stores them once.
ALTER TABLE audit_log ADD COLUMN entry_id VARCHAR;
