-- What each item (post, reply, comment, quote) of a topic run is about: its topics and their
-- ancestors, with the weight the topic model gives them (a parent topic counts its children's
-- items, as the topic scores do). Written with the rest of the topic run, in its transaction.
-- The campaign builder reads it to take as a candidate's audience only the reactors of its
-- items on the chosen topic. `account_id` is the item's author, so an erasure finds the rows.

CREATE TABLE post_topics (
    topic_run_id VARCHAR NOT NULL,
    network      VARCHAR NOT NULL,
    content_id   VARCHAR NOT NULL,
    account_id   VARCHAR,               -- the author; NULL where the source does not say
    topic_id     VARCHAR NOT NULL,
    weight       DOUBLE NOT NULL,       -- how much the item is about the topic (0-1]
    direct       BOOLEAN NOT NULL       -- false: only through a child topic
);
