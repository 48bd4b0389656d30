-- 035_campaign_web_add.sql - schema version 35: supervisors and administrators add
-- campaigns through the web API (POST /api/campaigns) as `ccctl campaign add` does: webd
-- stores the campaign, its retry rules and its dispositions in one statement
-- (dialer/dl_campaign.c), so it may insert those rows and read back the name it stored.
--
-- Run by `ccctl migrate` as the owner role in one transaction (no BEGIN/COMMIT here).

GRANT SELECT (name), INSERT ON campaigns TO cc_webd;
GRANT INSERT ON campaign_retries TO cc_webd;
GRANT INSERT ON campaign_dispositions TO cc_webd;
