/* dl_campaign.h - a new campaign as an administrator describes it, in words (`ccctl campaign
 * add`, POST /api/campaigns): every setting checked and given its default once, so the
 * command line and the web API accept and refuse exactly the same things, and turned into
 * the parameters of the one statement that stores the campaign with its retry rules and
 * dispositions (all or nothing). Pure: whether a time zone exists is asked of a function the
 * caller passes, as in dl_lead. */
#ifndef DL_CAMPAIGN_H
#define DL_CAMPAIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "dl_lead.h"

#define DL_CAMPAIGN_LIST_MAX 32 /* hours rules, retry rules or dispositions */
#define DL_CAMPAIGN_NPARAMS 23

/* What was asked, as text; NULL (or no list entries) takes the default. */
typedef struct {
    const char *name, *queue, *caller_id;    /* required */
    const char *mode;                        /* preview|progressive|predictive (progressive) */
    const char *trunk;                       /* NULL: each number follows the dialplan */
    const char *time_zone, *tz_rule;         /* UTC, lead|campaign (lead) */
    const char *abandon_cap;                 /* percent, 0.01-100 (3) */
    const char *ring;                        /* seconds, 15-120 (20) */
    const char *max_attempts;                /* 1-100 (5) */
    const char *max_ratio;                   /* lines per agent, 1-20 (4) */
    const char *abandon_prompt;              /* dialer/abandoned */
    const char *amd;                         /* NULL/off, hangup or message */
    const char *amd_prompt;                  /* dialer/machine */
    const char *hours[DL_CAMPAIGN_LIST_MAX]; /* "DAYS HH:MM-HH:MM" (mon-sat 09:00-20:00) */
    size_t nhours;
    const char *retries[DL_CAMPAIGN_LIST_MAX]; /* "OUTCOME:GAP_S:MAX", over the defaults */
    size_t nretries;
    const char *dispositions[DL_CAMPAIGN_LIST_MAX]; /* "CODE:LABEL[:dnc|:dnc_global]" */
    size_t ndispositions;
} dl_campaign_spec_t;

/* Why a spec was refused: the setting (named as in the web API: caller_id, hours,
 * retries...), the value as given and the reason. dl_campaign_error_text words it. */
typedef struct {
    char field[24];
    char value[128];
    char reason[192];
} dl_campaign_error_t;

/* The checked campaign as the statement's parameters (params[i] point into the row). */
typedef struct {
    const char *params[DL_CAMPAIGN_NPARAMS];
    char caller_id[DL_NUMBER_MAX];
    char hours[1024];
    char cap[16], ring[16], max_attempts[16], max_ratio[16];
    char retry_outcomes[128], retry_gaps[128], retry_max[128];
    char disp_codes[1200], disp_labels[6000], disp_dnc[200], disp_global[200];
} dl_campaign_row_t;

/* Check spec and fill row: 0, or -1 with *err saying which setting is wrong and why. */
int dl_campaign_check(const dl_campaign_spec_t *spec, dl_zone_ok_fn *zone_ok,
                      dl_campaign_row_t *row, dl_campaign_error_t *err);

/* "bad FIELD 'VALUE': REASON" (or "FIELD is required"), with the field as `field_prefix`
 * + its name with '_' as `dash` (the web API: "", '_'; ccctl: "--", '-'). */
void dl_campaign_error_text(const dl_campaign_error_t *err, const char *field_prefix, char dash,
                            char *out, size_t len);

/* A prompt name as the schema allows it: 1-100 letters, digits, _ . / -, no "..". */
bool dl_campaign_prompt_ok(const char *name);

/* INSERT of the campaign, its five retry rules and its dispositions in one statement,
 * parameters $1..$23 from dl_campaign_row_t; it returns the campaign's name. A foreign key
 * violation names the queue or trunk that does not exist; a unique violation, the name. */
extern const char dl_campaign_insert_sql[];

#endif
