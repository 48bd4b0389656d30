-- 029_preview.sql - schema version 29: preview mode on the agent desktop and campaigns in the
-- web gateway. dialerd answers an agent's "next lead / dial / skip" only for the campaigns
-- whose queue the agent is a member of, so it reads queue_members; webd shows a campaign's
-- daily figures (v_campaign_daily) to supervisors next to dialerd's live ones.
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

GRANT SELECT ON queue_members TO cc_dialerd;
GRANT SELECT ON v_campaign_daily TO cc_webd;
