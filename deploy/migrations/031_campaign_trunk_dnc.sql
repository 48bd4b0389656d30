-- 031_campaign_trunk_dnc.sql - schema version 31: an agent's campaign disposition can put
-- the number on a do-not-call list. A disposition with adds_dnc adds it to the campaign's
-- list, with dnc_global too to the global one; webd does it when the agent saves that code
-- in the wrap-up of a campaign call (the attempt gets the disposition; the dnc row names the
-- agent); v_call_wrapups labels such a code with the campaign's label. The campaign's
-- trunk needs no schema: dialerd now reads campaigns.trunk.
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

ALTER TABLE campaign_dispositions
    ADD COLUMN dnc_global boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT campaign_dispositions_dnc_global CHECK (NOT dnc_global OR adds_dnc);
COMMENT ON COLUMN campaign_dispositions.dnc_global IS
    'with adds_dnc: the number goes on the global do-not-call list (campaign NULL), not the '
    'campaign''s (ccctl campaign add --disposition CODE:LABEL:dnc_global)';
COMMENT ON TABLE campaign_dispositions IS
    'Codes an agent may give an outbound contact in its wrap-up; adds_dnc puts the number on '
    'the campaign''s do-not-call list (dnc_global: on the global one).';

-- webd saves the wrap-up of a campaign call: the code must be one of the campaign's, the
-- attempt gets it, and a code with adds_dnc adds the number to a list.
GRANT SELECT ON campaign_dispositions TO cc_webd;
GRANT SELECT (id, campaign, number, call_id) ON dialer_attempts TO cc_webd;
GRANT UPDATE (disposition) ON dialer_attempts TO cc_webd;
GRANT SELECT (campaign, number), INSERT (campaign, number, reason, added_by) ON dnc TO cc_webd;
GRANT USAGE ON SEQUENCE dnc_id_seq TO cc_webd;

-- A campaign call's wrap-up code is one of the campaign's dispositions: its label comes
-- from there when the queue has no code of that name. Same columns as before.
CREATE OR REPLACE VIEW v_call_wrapups AS
SELECT w.call_id, w.queue, w.agent, w.code,
       coalesce(l.label, (SELECT d.label FROM dialer_attempts a
                            JOIN campaign_dispositions d ON d.campaign = a.campaign
                                                        AND d.code = w.code
                           WHERE a.call_id = w.call_id)) AS code_label,
       w.notes, w.saved_by, w.saved_at, c.created_at, c.caller, c.callee, c.answered_by,
       c.disposition, c.talk_ms
  FROM call_wrapups w
  LEFT JOIN queue_wrapup_codes l ON l.queue = w.queue AND l.code = w.code
  LEFT JOIN v_cdr c ON c.call_id = w.call_id;
