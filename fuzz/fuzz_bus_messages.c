/* fuzz_bus_messages.c - libFuzzer target: what arrives over the bus from another process.
 * Each input line is one JSON message, taken both ways a daemon takes it:
 *  - as an event: the envelope (cc_bus_event_parse), the field check against the
 *    catalogue, and for call.* events cdrd's decoding (cdr_event_decode) and its call state
 *    machine (cdr_core_step), so a run of lines is a run of events about a few calls;
 *  - scanned, as cdrd takes live events (cc_json_scan): accepted exactly when jansson
 *    accepts it (but for jansson's NUL leniency, see cc_json_scan.h), and decoded by cdrd
 *    to the same fields as from jansson's tree;
 *  - as a command request: the command looked up in the catalogue and its arguments
 *    checked (cc_events_check), the gate every daemon's handlers sit behind. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "cc_bus.h"
#include "cc_events.h"
#include "cc_json_scan.h"
#include "cc_log.h"
#include "cdr_core.h"
#include "cdr_event.h"

static void s_drop_row(cdr_row_t *row, void *arg)
{
    (void)arg;
    cdr_row_destroy(&row);
}

static void s_as_event(cdr_core_t *core, json_t *msg)
{
    cc_bus_event_t ev;
    char err[256], id[128];
    if (!cc_bus_event_parse(msg, &ev, false))
        return;
    if (cc_events_find(CC_DEF_EVENT, ev.type))
        (void)cc_events_check(CC_PART_FIELD, ev.type, msg, err, sizeof err);
    cdr_event_t cev;
    if (cdr_event_decode(&ev, &cev, id, sizeof id, err, sizeof err) != 1)
        return;
    cdr_step_t step;
    cdr_core_step(core, &cev, &step);
    if (step.kind == CDR_STEP_ENDED)
        cdr_row_destroy(&step.row);
}

/* cdrd takes live events scanned (cc_json_scan), not as a jansson tree: the scanner must
 * accept exactly what jansson accepts, and every event must decode the same both ways. */
static void s_scanned_matches(const char *text, size_t len, json_t *msg)
{
    static cc_json_tok_t toks[CC_JSON_MAX_DEPTH + 64];
    char *scratch = malloc(len + 1);
    if (!scratch)
        return;
    cc_json_doc_t doc;
    int n = cc_json_scan(&doc, text, len, toks, sizeof toks / sizeof toks[0], scratch);
    /* what the scanner takes jansson takes; the reverse only for jansson's one leniency,
     * a NUL byte skipped after a number or literal */
    if ((n >= 0 && !msg) || (n == CC_JSON_SCAN_INVALID && msg && !memchr(text, '\0', len))) {
        fprintf(stderr, "scanner %s what jansson %s\n", n >= 0 ? "accepts" : "refuses",
                msg ? "accepts" : "refuses");
        abort();
    }
    cc_bus_event_t a, b;
    if (n > 0 && json_is_object(msg) &&
        cc_bus_event_parse(msg, &a, false) != cc_bus_event_parse_doc(&doc, &b))
        abort();
    if (n > 0 && json_is_object(msg) && cc_bus_event_parse(msg, &a, false)) {
        cdr_event_t ea, eb;
        char ida[128], idb[128], erra[256] = "", errb[256] = "";
        int ra = cdr_event_decode(&a, &ea, ida, sizeof ida, erra, sizeof erra);
        int rb = cdr_event_decode(&b, &eb, idb, sizeof idb, errb, sizeof errb);
        if (ra != rb || strcmp(erra, errb) != 0 || (ra == 1 && !cdr_event_equal(&ea, &eb))) {
            fprintf(stderr, "decoded differently: %d/%d '%s'/'%s'\n", ra, rb, erra, errb);
            abort();
        }
    }
    free(scratch);
}

static void s_as_command(json_t *msg)
{
    const char *type = json_string_value(json_object_get(msg, "type"));
    const cc_def_t *def = type ? cc_events_find(CC_DEF_COMMAND, type) : NULL;
    json_t *args = json_object_get(msg, "args");
    char err[256];
    if (def && json_is_object(args))
        (void)cc_events_check(CC_PART_ARG, def->name, args, err, sizeof err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    cdr_core_t *core = cdr_core_new(16);
    size_t at = 0;
    while (at < size) {
        const uint8_t *nl = memchr(data + at, '\n', size - at);
        size_t len = nl ? (size_t)(nl - (data + at)) : size - at;
        json_t *msg = json_loadb((const char *)data + at, len, 0, NULL);
        s_scanned_matches((const char *)data + at, len, msg);
        if (json_is_object(msg)) {
            s_as_event(core, msg);
            s_as_command(msg);
        }
        json_decref(msg);
        at += len + 1;
    }
    char ts[64];
    int64_t us;
    snprintf(ts, sizeof ts, "%.*s", (int)(size < 63 ? size : 63), (const char *)data);
    (void)cdr_parse_ts(ts, &us);
    cdr_core_end_orphans(core, UINT64_MAX, 0, "fuzz:1:1", s_drop_row, NULL);
    cdr_core_destroy(&core);
    return 0;
}
