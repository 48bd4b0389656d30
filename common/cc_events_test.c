/* cc_events_test.c - the catalogue: tables consistent with themselves, lookups, the
 * checks bus messages go through, and the Markdown listing every definition. */
#include <stdlib.h>

#include "cc_events.h"
#include "cc_test.h"

CC_TEST(events_catalogue_is_consistent)
{
    size_t ndefs, nparts;
    const cc_def_t *defs = cc_events_defs(&ndefs);
    const cc_part_t *parts = cc_events_parts(&nparts);
    CC_CHECK(ndefs > 10);
    CC_CHECK(nparts > 10);
    for (size_t i = 0; i < ndefs; i++) {
        CC_CHECK(strchr(defs[i].name, '.') || !strcmp(defs[i].name, "ping") ||
                 !strcmp(defs[i].name, "status"));
        for (size_t j = i + 1; j < ndefs; j++)
            CC_CHECK(defs[i].kind != defs[j].kind || strcmp(defs[i].name, defs[j].name) != 0);
        CC_CHECK(cc_events_find(defs[i].kind, defs[i].name) == &defs[i]);
    }
    for (size_t i = 0; i < nparts; i++) {
        cc_def_kind_t want = parts[i].kind == CC_PART_FIELD ? CC_DEF_EVENT : CC_DEF_COMMAND;
        if (!cc_events_find(want, parts[i].def_name))
            cc_test_fail(__FILE__, __LINE__, "part '%s' of undeclared '%s'", parts[i].name,
                         parts[i].def_name);
        for (size_t j = i + 1; j < nparts; j++)
            CC_CHECK(parts[i].kind != parts[j].kind ||
                     strcmp(parts[i].def_name, parts[j].def_name) != 0 ||
                     strcmp(parts[i].name, parts[j].name) != 0);
    }
}

CC_TEST(events_find)
{
    const cc_def_t *d = cc_events_find(CC_DEF_EVENT, "call.answered");
    CC_CHECK(d != NULL);
    CC_CHECK_STR(d->owner, "sipproxy");
    CC_CHECK(cc_events_find(CC_DEF_COMMAND, "call.answered") == NULL);
    CC_CHECK(cc_events_find(CC_DEF_COMMAND, "endpoint.create") != NULL);
    CC_CHECK(cc_events_find(CC_DEF_COMMAND, "bus.replay") != NULL);
    CC_CHECK(cc_events_find(CC_DEF_EVENT, "no.such") == NULL);
    CC_CHECK(cc_events_find(CC_DEF_EVENT, NULL) == NULL);
    CC_CHECK_STR(cc_json_type_name(CC_JT_INT), "int");
    CC_CHECK_STR(cc_json_type_name(CC_JT_ANY), "any");
}

static int s_check(cc_part_kind_t kind, const char *name, const char *json, char *err, size_t len)
{
    json_t *obj = json_loads(json, 0, NULL);
    int rc = cc_events_check(kind, name, obj, err, len);
    json_decref(obj);
    return rc;
}

CC_TEST(events_check_event_fields)
{
    char err[200];
    CC_CHECK_INT(s_check(CC_PART_FIELD, "call.ringing", "{\"code\":180}", err, sizeof err), 0);
    /* envelope keys are always allowed */
    CC_CHECK_INT(s_check(CC_PART_FIELD, "call.ringing",
                         "{\"code\":180,\"type\":\"call.ringing\",\"id\":{},\"ts\":\"x\","
                         "\"call_id\":\"c1\"}",
                         err, sizeof err),
                 0);
    CC_CHECK_INT(s_check(CC_PART_FIELD, "call.ringing", "{}", err, sizeof err), -1);
    CC_CHECK_STR(err, "missing field 'code'");
    CC_CHECK_INT(s_check(CC_PART_FIELD, "call.ringing", "{\"code\":\"180\"}", err, sizeof err), -1);
    CC_CHECK_STR(err, "field 'code' must be int");
    CC_CHECK_INT(
        s_check(CC_PART_FIELD, "call.ringing", "{\"code\":180,\"extra\":1}", err, sizeof err), -1);
    CC_CHECK_STR(err, "undeclared field 'extra' in 'call.ringing'");
    CC_CHECK_INT(s_check(CC_PART_FIELD, "no.such", "{}", err, sizeof err), -1);
    CC_CHECK_STR(err, "unknown event 'no.such'");
    /* optional may be absent or null; a required null is missing */
    CC_CHECK_INT(s_check(CC_PART_FIELD, "call.answered",
                         "{\"answered_by\":\"1001\","
                         "\"contact\":null}",
                         err, sizeof err),
                 0);
    CC_CHECK_INT(s_check(CC_PART_FIELD, "call.answered", "{\"answered_by\":null}", err, sizeof err),
                 -1);
    CC_CHECK_INT(cc_events_check(CC_PART_FIELD, "call.ringing", NULL, err, sizeof err), -1);
    CC_CHECK_STR(err, "missing field 'code'");
}

CC_TEST(events_check_command_args)
{
    char err[200];
    /* extra args are tolerated */
    CC_CHECK_INT(s_check(CC_PART_ARG, "endpoint.connect",
                         "{\"endpoint_a\":1,\"endpoint_b\":2,\"later\":true}", err, sizeof err),
                 0);
    CC_CHECK_INT(s_check(CC_PART_ARG, "endpoint.connect", "{\"endpoint_a\":1}", err, sizeof err),
                 -1);
    CC_CHECK_STR(err, "missing arg 'endpoint_b'");
    CC_CHECK_INT(s_check(CC_PART_ARG, "endpoint.create",
                         "{\"call_id\":\"c\",\"leg\":\"caller\",\"symmetric\":1}", err, sizeof err),
                 -1);
    CC_CHECK_STR(err, "arg 'symmetric' must be bool");
    CC_CHECK_INT(s_check(CC_PART_ARG, "endpoint.connect", "[1,2]", err, sizeof err), -1);
    CC_CHECK_INT(
        s_check(CC_PART_RESULT, "ping", "{\"pong\":true,\"daemon\":\"x\"}", err, sizeof err), 0);
    CC_CHECK_INT(s_check(CC_PART_RESULT, "ping", "{\"pong\":true}", err, sizeof err), -1);
    CC_CHECK_STR(err, "missing result 'daemon'");
    CC_CHECK_INT(s_check(CC_PART_ARG, "nope", "{}", err, sizeof err), -1);
    CC_CHECK_STR(err, "unknown command 'nope'");
    /* NUMBER takes ints and reals; INT takes only ints */
    CC_CHECK_INT(s_check(CC_PART_ARG, "endpoint.delete", "{\"endpoint_id\":1.5}", err, sizeof err),
                 -1);
}

CC_TEST(events_markdown_lists_everything)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    CC_CHECK(out != NULL);
    cc_events_write_markdown(out);
    fclose(out);
    char *again = NULL;
    size_t len2 = 0;
    out = open_memstream(&again, &len2);
    cc_events_write_markdown(out);
    fclose(out);
    bool same = len == len2 && !memcmp(text, again, len);
    free(again);
    if (!same) {
        free(text);
        CC_CHECK(!"markdown is deterministic");
    }
    size_t ndefs, nparts;
    const cc_def_t *defs = cc_events_defs(&ndefs);
    const cc_part_t *parts = cc_events_parts(&nparts);
    char needle[256];
    bool ok = strstr(text, "\"req\"") && strstr(text, "## Domain `call`") &&
              strstr(text, "## Domain `media`") && strstr(text, "## Domain `daemon`");
    for (size_t i = 0; ok && i < ndefs; i++) {
        snprintf(needle, sizeof needle, "%s `%s`",
                 defs[i].kind == CC_DEF_EVENT ? "### Event" : "### Command", defs[i].name);
        if (!strstr(text, needle)) {
            cc_test_fail(__FILE__, __LINE__, "markdown lacks \"%s\"", needle);
            ok = false;
        }
    }
    for (size_t i = 0; ok && i < nparts; i++) {
        snprintf(needle, sizeof needle, "| `%s` | %s | %s |", parts[i].name,
                 cc_json_type_name(parts[i].type), parts[i].presence ? "yes" : "no");
        if (!strstr(text, needle)) {
            cc_test_fail(__FILE__, __LINE__, "markdown lacks \"%s\"", needle);
            ok = false;
        }
    }
    free(text);
    CC_CHECK(ok);
}
