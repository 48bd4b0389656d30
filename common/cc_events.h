/* cc_events.h - the catalogue of every bus event and command, declared once in
 * common/events/<domain>.def and compiled into tables here. The bus validates against
 * these tables, and `ccctl events doc` renders docs/EVENTS.md from them (a test checks the
 * committed file matches and that events seen on a live bus match it).
 *
 * In a .def file:
 *   CC_EVENT("call.answered", "sipproxy", "The callee answered; media is bridged.")
 *   CC_FIELD("call.answered", "caller", STRING, REQUIRED, "caller's number")
 *   CC_COMMAND("endpoint.create", "mediad", "Allocate an RTP endpoint.")
 *   CC_ARG("endpoint.create", "call_id", STRING, REQUIRED, "call the endpoint belongs to")
 *   CC_RESULT("endpoint.create", "port", INT, REQUIRED, "local RTP port")
 * Types: STRING, INT, NUMBER (int or real), BOOL, OBJECT, ARRAY, ANY.
 * Fields of the envelope (type, id, ts, call_id) are not declared per event. */
#ifndef CC_EVENTS_H
#define CC_EVENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum {
    CC_JT_STRING,
    CC_JT_INT,
    CC_JT_NUMBER,
    CC_JT_BOOL,
    CC_JT_OBJECT,
    CC_JT_ARRAY,
    CC_JT_ANY
} cc_json_type_t;

typedef enum {
    CC_OPTIONAL = 0,
    CC_REQUIRED = 1
} cc_presence_t;

typedef enum {
    CC_DEF_EVENT,
    CC_DEF_COMMAND
} cc_def_kind_t;
typedef enum {
    CC_PART_FIELD,
    CC_PART_ARG,
    CC_PART_RESULT
} cc_part_kind_t;

typedef struct {
    cc_def_kind_t kind;
    const char *name;  /* "call.answered" / "endpoint.create" */
    const char *owner; /* publisher of the event / daemon serving the command */
    const char *help;
} cc_def_t;

typedef struct {
    cc_part_kind_t kind;
    const char *def_name; /* the event or command it belongs to */
    const char *name;
    cc_json_type_t type;
    cc_presence_t presence;
    const char *help;
} cc_part_t;

const cc_def_t *cc_events_defs(size_t *count);
const cc_part_t *cc_events_parts(size_t *count);

const cc_def_t *cc_events_find(cc_def_kind_t kind, const char *name);
const char *cc_json_type_name(cc_json_type_t type);

/* Check a JSON object against the declared parts of `kind` for def `name`: every REQUIRED
 * part present, every present declared part of the right type. Undeclared extra keys are
 * allowed for commands' args but not for events (the doc must list every field). Returns 0,
 * or -1 with a reason in err ("missing field 'caller'", "field 'port' must be int"). */
int cc_events_check(cc_part_kind_t kind, const char *name, json_t *obj, char *err, size_t errlen);

/* Render the whole catalogue as Markdown (docs/EVENTS.md). */
void cc_events_write_markdown(FILE *out);

#endif
