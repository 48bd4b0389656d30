-- 006_acd_connected.sql - schema version 6: acdd keeps a queue call's row while an agent
-- is talking on it (state 'connected', with the agent), so that an acdd restarted in the
-- middle of that conversation puts the agent back on the call instead of offering it a
-- new one, and notices the call's end. return_to_ivr survives a restart too.

ALTER TABLE queue_calls ADD COLUMN agent text;
ALTER TABLE queue_calls ADD COLUMN return_to_ivr boolean NOT NULL DEFAULT false;
ALTER TABLE queue_calls DROP CONSTRAINT queue_calls_state_check;
ALTER TABLE queue_calls ADD CONSTRAINT queue_calls_state_check
    CHECK (state IN ('waiting', 'offered', 'callback', 'connected'));
COMMENT ON TABLE queue_calls IS
    'Calls acdd holds in its queues (their SIP and RTP legs live in sipproxy and mediad). A '
    'restarted acdd enqueues them again with their original enqueue time and order (seq), '
    'so they keep their places. Rows go when the agent''s part of the call ends, or when it '
    'is abandoned or overflowed.';
COMMENT ON COLUMN queue_calls.state IS
    'waiting; offered (an agent rings: connect_id is sipproxy''s attempt, cancelled after a '
    'restart); callback (the caller hung up and waits for a callback: callback_id); '
    'connected (answered: agent is talking on it)';
COMMENT ON COLUMN queue_calls.return_to_ivr IS
    'the caller goes back to its IVR flow when the agent hangs up (queue.enter return_to_ivr)';
