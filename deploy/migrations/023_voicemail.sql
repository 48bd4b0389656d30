-- 023_voicemail.sql - schema version 23: voicemail. A mailbox belongs to an extension or a
-- queue (ccctl voicemail add); a caller sent to vm:MAILBOX hears its greeting and leaves a
-- message that recorderd records like any recording (same encryption and retention), and
-- ivrd indexes here. The audio stays in the recording's file: a message row points at it.
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

CREATE TABLE mailboxes (
    mailbox             text PRIMARY KEY CHECK (mailbox ~ '^[A-Za-z0-9_.-]{1,63}$'),
    owner_kind          text NOT NULL CHECK (owner_kind IN ('ext', 'queue')),
    pin_hash            text CHECK (pin_hash LIKE '$argon2id$%'),
    pin_required        boolean NOT NULL DEFAULT true,
    email               text CHECK (email ~ '^[^@\s<>,;"]{1,64}@[A-Za-z0-9.-]{1,190}$'),
    delete_after_email  boolean NOT NULL DEFAULT false,
    greeting_unavailable text,
    greeting_busy       text,
    greeting_name       text,
    language            text NOT NULL DEFAULT 'en' CHECK (language ~ '^[a-z]{2,3}$'),
    max_message_s       integer NOT NULL DEFAULT 180 CHECK (max_message_s BETWEEN 5 AND 3600),
    created_at          timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mailboxes IS
    'Voicemail boxes (ccctl voicemail add): one per extension or queue, named like it. ivrd '
    'reads it on every deposit and every *97/*98 login, so changes apply at once.';
COMMENT ON COLUMN mailboxes.pin_hash IS
    'Argon2id hash (libsodium crypto_pwhash_str) of the mailbox PIN; NULL: no PIN set (the '
    'box cannot be opened from another phone). The PIN itself is never stored or logged.';
COMMENT ON COLUMN mailboxes.pin_required IS
    'false: the owner''s own phone (*97) opens the box without the PIN';
COMMENT ON COLUMN mailboxes.email IS 'where new messages are mailed (NULL: not mailed)';
COMMENT ON COLUMN mailboxes.delete_after_email IS
    'a message mailed successfully is removed from the box';
COMMENT ON COLUMN mailboxes.greeting_unavailable IS
    'WAV (8 kHz mono) played to callers who come on no answer, unavailable, DND or direct; '
    'NULL: a generated greeting';
COMMENT ON COLUMN mailboxes.greeting_busy IS 'WAV for callers who found the owner busy';
COMMENT ON COLUMN mailboxes.greeting_name IS
    'the owner''s recorded name, said inside the generated greeting';

CREATE TABLE voicemail_messages (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mailbox        text NOT NULL REFERENCES mailboxes ON DELETE CASCADE,
    call_id        text NOT NULL,
    caller         text NOT NULL DEFAULT '',
    reason         text NOT NULL CHECK (reason IN ('direct', 'busy', 'noanswer', 'unavailable',
                                                   'dnd', 'overflow', 'closed')),
    received_at    timestamptz NOT NULL DEFAULT now(),
    duration_ms    integer NOT NULL CHECK (duration_ms >= 0),
    folder         text NOT NULL DEFAULT 'new' CHECK (folder IN ('new', 'saved')),
    recording_id   bigint REFERENCES recordings,
    path           text NOT NULL,
    email_state    text NOT NULL DEFAULT 'none'
                   CHECK (email_state IN ('none', 'pending', 'sent', 'failed')),
    email_attempts integer NOT NULL DEFAULT 0,
    email_error    text,
    email_next_at  timestamptz,
    emailed_at     timestamptz
);
COMMENT ON TABLE voicemail_messages IS
    'One row per message left in a mailbox (written by ivrd after the recording closed). '
    'The audio is the recording''s file (path, recording_id): the caller is its left channel.';
COMMENT ON COLUMN voicemail_messages.duration_ms IS
    'from the beep to the end of the message as ivrd timed it; messages under 1 s are '
    'not kept';
COMMENT ON COLUMN voicemail_messages.folder IS
    'new until listened to and saved by phone (*97/*98); deleting removes the row';
COMMENT ON COLUMN voicemail_messages.email_state IS
    'none (box has no address), pending (to be sent, or retried after a failure: see '
    'email_attempts, email_error), sent, failed (given up: the message stays in the box)';
CREATE INDEX voicemail_messages_mailbox_idx ON voicemail_messages (mailbox, folder);
COMMENT ON COLUMN voicemail_messages.email_next_at IS
    'when a pending e-mail is tried next ([voicemail] mail_retry_s, doubling per failure)';
CREATE INDEX voicemail_messages_email_idx ON voicemail_messages (email_next_at)
    WHERE email_state = 'pending';

GRANT SELECT, UPDATE ON mailboxes TO cc_ivrd;
GRANT SELECT, INSERT, UPDATE, DELETE ON voicemail_messages TO cc_ivrd;
GRANT SELECT ON mailboxes, voicemail_messages TO cc_sipproxy;
