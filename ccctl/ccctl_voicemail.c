/* ccctl_voicemail.c - `ccctl voicemail ...`: mailboxes and their messages. add/del/pin
 * write `mailboxes` (a box is named like the extension or queue it belongs to, which must
 * exist); list shows each box with its counts; messages lists a box's messages. The PIN is
 * stored only as an Argon2id hash and never printed. Deposits and the phone menu are
 * ivrd's (vm.deposit); this file only touches Postgres. */
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "ccctl.h"
#include "ccctl_acd.h"
#include "ccctl_out.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))
#define S_PIN_MIN 4
#define S_PIN_MAX 12

void ccctl_voicemail_usage(FILE *out)
{
    fputs("usage: ccctl voicemail add MAILBOX [--pin P] [--email ADDR] [--no-pin-at-own-phone]\n"
          "                          [--delete-after-email] [--language en|cmn] [--max-seconds N]\n"
          "       ccctl voicemail del MAILBOX          the box and all its messages\n"
          "       ccctl voicemail pin MAILBOX PIN      set (or change) the PIN\n"
          "       ccctl voicemail list [--json]        boxes with their new/saved counts\n"
          "       ccctl voicemail messages MAILBOX [--json]\n"
          "  MAILBOX: an extension (ccctl user add) or a queue's name (ccctl queue add).\n"
          "  Callers reach it through a route to vm:MAILBOX, or diverted there (busy, no\n"
          "  answer, DND); they hear the greeting, a beep, and leave a message ended by #,\n"
          "  silence ([voicemail] silence_s) or hanging up. Messages are recordings\n"
          "  (`ccctl recording list`, callee vm:MAILBOX): same encryption and retention.\n"
          "  PIN: 4-12 digits (\"-\": read from standard input); only its hash is kept.\n"
          "  --no-pin-at-own-phone: *97 from the owner's phone opens the box without it.\n"
          "  --email: new messages are mailed there as WAV ([voicemail] smtp_url);\n"
          "  --delete-after-email removes a message once mailed. --max-seconds: 5-3600\n"
          "  (default 180), the longest message.\n",
          out);
}

static int s_pin(const char *value, char hash[crypto_pwhash_STRBYTES])
{
    char pin[64];
    if (ccctl_read_secret(value, pin, sizeof pin) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "PIN: nothing on standard input, or too long");
    size_t n = strlen(pin);
    if (n < S_PIN_MIN || n > S_PIN_MAX || strspn(pin, "0123456789") != n) {
        sodium_memzero(pin, sizeof pin);
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad PIN: %d-%d digits", S_PIN_MIN, S_PIN_MAX);
    }
    /* a PIN of a few digits is guarded by ivrd's throttle, not by the hash's cost: a light
     * Argon2id keeps each check at the phone cheap */
    int rc = sodium_init() < 0 ? -1
                               : crypto_pwhash_str(hash, pin, n, crypto_pwhash_OPSLIMIT_MIN,
                                                   crypto_pwhash_MEMLIMIT_MIN * 128);
    sodium_memzero(pin, sizeof pin);
    return rc == 0 ? 0 : ccctl_fail(CCCTL_EXIT_REFUSED, "hashing the PIN failed (memory)");
}

static bool s_email_ok(const char *e)
{
    const char *at = strchr(e, '@');
    size_t n = strlen(e);
    if (!at || at == e || n > 254 || strchr(at + 1, '@') || !at[1] || !strchr(at + 1, '.'))
        return false;
    for (const char *p = e; *p; p++)
        if ((unsigned char)*p <= ' ' || strchr("<>,;\"()[]\\", *p))
            return false;
    return true;
}

/* Which kind of owner MAILBOX names: "ext" or "queue"; NULL after reporting none. */
static const char *s_owner_kind(ccctl_t *ctx, const char *mailbox, int *rc)
{
    PGresult *res = NULL;
    const char *p[] = {mailbox};
    *rc = ccctl_exec(ctx, "looking up the owner",
                     "SELECT 'ext' FROM sip_users WHERE ext = $1 UNION ALL "
                     "SELECT 'queue' FROM queues WHERE name = $1",
                     1, p, &res);
    if (*rc)
        return NULL;
    const char *kind = NULL;
    if (PQntuples(res) > 0)
        kind = strcmp(PQgetvalue(res, 0, 0), "ext") == 0 ? "ext" : "queue";
    else
        *rc = ccctl_fail(CCCTL_EXIT_REFUSED,
                         "no extension or queue '%s': a mailbox belongs to one (ccctl user add, "
                         "ccctl queue add)",
                         mailbox);
    PQclear(res);
    return kind;
}

static int s_add(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--pin", true},
                                       {"--email", true},
                                       {"--no-pin-at-own-phone", false},
                                       {"--delete-after-email", false},
                                       {"--language", true},
                                       {"--max-seconds", true}};
    ccctl_args_t args;
    int rc =
        ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 1, 1, "MAILBOX", ccctl_voicemail_usage);
    if (rc)
        return rc;
    const char *box = args.pos[0];
    if (!ccctl_acd_name_ok(box))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad mailbox '%s': 1-63 letters, digits, _ . -", box);
    const char *email = ccctl_arg(&args, "--email");
    if (email && !s_email_ok(email))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --email '%s': one address, like name@example.org",
                          email);
    const char *lang = ccctl_arg(&args, "--language");
    if (!lang)
        lang = "en";
    if (strcmp(lang, "en") && strcmp(lang, "cmn") && strcmp(lang, "zh"))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --language '%s': en or cmn", lang);
    long max = 180;
    const char *m = ccctl_arg(&args, "--max-seconds");
    if (m && ccctl_parse_long(m, 5, 3600, &max) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --max-seconds '%s': a whole number 5-3600", m);
    char hash[crypto_pwhash_STRBYTES] = "";
    const char *pin = ccctl_arg(&args, "--pin");
    if (pin && (rc = s_pin(pin, hash)) != 0)
        return rc;
    if (!ccctl_db(ctx, true, &rc))
        return rc;
    const char *kind = s_owner_kind(ctx, box, &rc);
    if (!kind)
        return rc;
    char maxs[16];
    snprintf(maxs, sizeof maxs, "%ld", max);
    const char *p[] = {box,
                       kind,
                       hash[0] ? hash : NULL,
                       ccctl_flag(&args, "--no-pin-at-own-phone") ? "false" : "true",
                       email,
                       ccctl_flag(&args, "--delete-after-email") ? "true" : "false",
                       lang,
                       maxs};
    char what[128];
    snprintf(what, sizeof what, "mailbox '%s'", box);
    rc = ccctl_exec(ctx, what,
                    "INSERT INTO mailboxes (mailbox, owner_kind, pin_hash, pin_required, email, "
                    "delete_after_email, language, max_message_s) "
                    "VALUES ($1, $2, $3, $4::boolean, $5, $6::boolean, $7, $8::integer)",
                    8, p, NULL);
    if (rc)
        return rc;
    printf("added mailbox %s (%s %s, PIN %s%s%s%s); route a number to vm:%s to reach it\n", box,
           kind, box, hash[0] ? "set" : "none", email ? ", mailed to " : "", email ? email : "",
           ccctl_flag(&args, "--delete-after-email") ? ", deleted once mailed" : "", box);
    return CCCTL_EXIT_OK;
}

/* Runs an UPDATE/DELETE on one box; "no mailbox" (exit 1) when it matched nothing. */
static int s_one_box(ccctl_t *ctx, const char *sql, int n, const char *const *p, const char *box)
{
    PGresult *res = NULL;
    char what[128];
    snprintf(what, sizeof what, "mailbox '%s'", box);
    int rc = ccctl_exec(ctx, what, sql, n, p, &res);
    if (rc)
        return rc;
    bool none = atoi(PQcmdTuples(res)) == 0;
    PQclear(res);
    return none ? ccctl_fail(CCCTL_EXIT_REFUSED, "no mailbox '%s' (ccctl voicemail list)", box) : 0;
}

static int s_del(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 1, 1, "MAILBOX", ccctl_voicemail_usage);
    if (rc == 0 && !ccctl_acd_name_ok(args.pos[0]))
        rc = ccctl_fail(CCCTL_EXIT_USAGE, "bad mailbox '%s'", args.pos[0]);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[] = {args.pos[0]};
    rc = s_one_box(ctx, "DELETE FROM mailboxes WHERE mailbox = $1", 1, p, args.pos[0]);
    if (rc)
        return rc;
    printf("deleted mailbox %s and its messages' index (the recordings stay until their "
           "retention ends)\n",
           args.pos[0]);
    return CCCTL_EXIT_OK;
}

static int s_set_pin(ccctl_t *ctx, int argc, char **argv)
{
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, NULL, 0, 2, 2, "MAILBOX PIN", ccctl_voicemail_usage);
    if (rc == 0 && !ccctl_acd_name_ok(args.pos[0]))
        rc = ccctl_fail(CCCTL_EXIT_USAGE, "bad mailbox '%s'", args.pos[0]);
    char hash[crypto_pwhash_STRBYTES];
    if (rc == 0)
        rc = s_pin(args.pos[1], hash);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[] = {args.pos[0], hash};
    rc = s_one_box(ctx, "UPDATE mailboxes SET pin_hash = $2 WHERE mailbox = $1", 2, p, args.pos[0]);
    if (rc)
        return rc;
    printf("PIN of mailbox %s set\n", args.pos[0]);
    return CCCTL_EXIT_OK;
}

static int s_print(PGresult *res, bool json, const char *const *headers)
{
    if (json) {
        ccctl_json_print(cc_pg_rows_json(res), stdout);
        return CCCTL_EXIT_OK;
    }
    ccctl_table_print_result(headers, res, "-", stdout);
    return CCCTL_EXIT_OK;
}

static int s_list(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--json", false}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 0, 0, "", ccctl_voicemail_usage);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "listing the mailboxes",
                    "SELECT b.mailbox, b.owner_kind AS owner, b.pin_hash IS NOT NULL AS pin, "
                    "b.pin_required, b.email, b.delete_after_email, b.language, b.max_message_s, "
                    "count(m.id) FILTER (WHERE m.folder = 'new') AS new, "
                    "count(m.id) FILTER (WHERE m.folder = 'saved') AS saved "
                    "FROM mailboxes b LEFT JOIN voicemail_messages m USING (mailbox) "
                    "GROUP BY b.mailbox ORDER BY b.mailbox",
                    0, NULL, &res);
    if (rc)
        return rc;
    static const char *const headers[] = {
        "MAILBOX", "OWNER",         "PIN",      "PIN AT OWN PHONE",
        "EMAIL",   "DELETE MAILED", "LANGUAGE", "MAX S",
        "NEW",     "SAVED",         NULL};
    rc = s_print(res, ccctl_flag(&args, "--json"), headers);
    PQclear(res);
    return rc;
}

static int s_messages(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--json", false}};
    ccctl_args_t args;
    int rc =
        ccctl_parse(&args, argc, argv, opts, N_OPTS(opts), 1, 1, "MAILBOX", ccctl_voicemail_usage);
    if (rc == 0 && !ccctl_acd_name_ok(args.pos[0]))
        rc = ccctl_fail(CCCTL_EXIT_USAGE, "bad mailbox '%s'", args.pos[0]);
    if (rc != 0 || !ccctl_db(ctx, true, &rc))
        return rc;
    const char *p[] = {args.pos[0]};
    PGresult *res = NULL;
    rc = ccctl_exec(ctx, "finding the mailbox", "SELECT 1 FROM mailboxes WHERE mailbox = $1", 1, p,
                    &res);
    if (rc)
        return rc;
    bool found = PQntuples(res) > 0;
    PQclear(res);
    if (!found)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "no mailbox '%s' (ccctl voicemail list)",
                          args.pos[0]);
    rc = ccctl_exec(ctx, "listing the messages",
                    "SELECT id, caller, to_char(received_at, 'YYYY-MM-DD HH24:MI:SSOF') AS "
                    "received, duration_ms, folder, reason, email_state, recording_id, path "
                    "FROM voicemail_messages WHERE mailbox = $1 ORDER BY received_at, id",
                    1, p, &res);
    if (rc)
        return rc;
    static const char *const headers[] = {"ID",     "CALLER", "RECEIVED",  "MS",   "FOLDER",
                                          "REASON", "EMAIL",  "RECORDING", "FILE", NULL};
    rc = s_print(res, ccctl_flag(&args, "--json"), headers);
    PQclear(res);
    return rc;
}

int ccctl_voicemail_main(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_sub_t subs[] = {
        {"add", s_add},   {"del", s_del},           {"pin", s_set_pin},
        {"list", s_list}, {"messages", s_messages}, {NULL, NULL},
    };
    return ccctl_dispatch(ctx, argc, argv, subs, ccctl_voicemail_usage);
}
