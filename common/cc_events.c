/* cc_events.c - compiles common/events/<domain>.def into the catalogue tables, looks
 * definitions up, checks JSON objects against them and renders docs/EVENTS.md. Knows
 * nothing of sockets: cc_bus.c calls the checks, ccctl calls the renderer. */
#include "cc_events.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* One row per macro, in declaration order. Rows are expanded in a single pass so that
 * the list of .def files below is written exactly once; cc_events_defs/parts split them
 * into the two public arrays on first use. __FILE__ inside a .def is that file's path,
 * which names the domain section of the Markdown. */
typedef enum {
    S_ROW_DEF,
    S_ROW_PART
} s_row_kind_t;

typedef struct {
    s_row_kind_t row;
    const char *file;
    cc_def_t def;
    cc_part_t part;
} s_row_t;

#define CC_EVENT(n, o, h) {S_ROW_DEF, __FILE__, {CC_DEF_EVENT, n, o, h}, {0}},
#define CC_COMMAND(n, o, h) {S_ROW_DEF, __FILE__, {CC_DEF_COMMAND, n, o, h}, {0}},
#define S_PART(k, d, n, t, p, h) {S_ROW_PART, __FILE__, {0}, {k, d, n, CC_JT_##t, CC_##p, h}},
#define CC_FIELD(d, n, t, p, h) S_PART(CC_PART_FIELD, d, n, t, p, h)
#define CC_ARG(d, n, t, p, h) S_PART(CC_PART_ARG, d, n, t, p, h)
#define CC_RESULT(d, n, t, p, h) S_PART(CC_PART_RESULT, d, n, t, p, h)

static const s_row_t s_rows[] = {
/* ---- THE CATALOGUE: one line per domain file; a new domain is one more #include. ---- */
#include "events/daemon.def"
#include "events/call.def"
#include "events/media.def"
#include "events/cdr.def"
#include "events/callctl.def"
#include "events/sip.def"
#include "events/acd.def"
#include "events/ivr.def"
#include "events/rec.def"
#include "events/web.def"
#include "events/conf.def"
#include "events/vm.def"
#include "events/dialer.def"
    /* ---- end of catalogue ------------------------------------------------------------ */
};

#undef CC_EVENT
#undef CC_COMMAND
#undef CC_FIELD
#undef CC_ARG
#undef CC_RESULT
#undef S_PART

#define S_NROWS (sizeof s_rows / sizeof s_rows[0])

static cc_def_t s_defs[S_NROWS];
static const char *s_def_file[S_NROWS]; /* the .def file each definition came from */
static size_t s_ndefs;
static cc_part_t s_parts[S_NROWS];
static size_t s_nparts;
/* Definitions sorted by (kind, name) for bsearch. */
static const cc_def_t *s_sorted[S_NROWS];
/* Parts sorted by (definition, kind), declaration order kept within: a definition's parts
 * are found by one bsearch instead of a pass over the whole catalogue (this runs for every
 * event published and every command received). */
static const cc_part_t *s_part_index[S_NROWS];
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static int s_cmp_def(const void *a, const void *b)
{
    const cc_def_t *x = *(const cc_def_t *const *)a, *y = *(const cc_def_t *const *)b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int s_cmp_part(const void *a, const void *b)
{
    const cc_part_t *x = *(const cc_part_t *const *)a, *y = *(const cc_part_t *const *)b;
    int c = strcmp(x->def_name, y->def_name);
    if (c)
        return c;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return x < y ? -1 : x > y; /* declaration order */
}

static void s_build(void)
{
    for (size_t i = 0; i < S_NROWS; i++) {
        if (s_rows[i].row == S_ROW_DEF) {
            s_def_file[s_ndefs] = s_rows[i].file;
            s_defs[s_ndefs++] = s_rows[i].def;
        } else {
            s_parts[s_nparts++] = s_rows[i].part;
        }
    }
    for (size_t i = 0; i < s_ndefs; i++)
        s_sorted[i] = &s_defs[i];
    qsort(s_sorted, s_ndefs, sizeof s_sorted[0], s_cmp_def);
    for (size_t i = 0; i < s_nparts; i++)
        s_part_index[i] = &s_parts[i];
    qsort(s_part_index, s_nparts, sizeof s_part_index[0], s_cmp_part);
}

/* The parts of one definition of one kind: *count of them from the returned position. */
static const cc_part_t *const *s_parts_of(cc_part_kind_t kind, const char *def, size_t *count)
{
    size_t lo = 0, hi = s_nparts;
    while (lo < hi) { /* first index whose (def, kind) is not below the key */
        size_t mid = (lo + hi) / 2;
        const cc_part_t *p = s_part_index[mid];
        int c = strcmp(p->def_name, def);
        if (c < 0 || (c == 0 && p->kind < kind))
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    while (lo + n < s_nparts && s_part_index[lo + n]->kind == kind &&
           !strcmp(s_part_index[lo + n]->def_name, def))
        n++;
    *count = n;
    return &s_part_index[lo];
}

const cc_def_t *cc_events_defs(size_t *count)
{
    pthread_once(&s_once, s_build);
    if (count)
        *count = s_ndefs;
    return s_defs;
}

const cc_part_t *cc_events_parts(size_t *count)
{
    pthread_once(&s_once, s_build);
    if (count)
        *count = s_nparts;
    return s_parts;
}

const cc_def_t *cc_events_find(cc_def_kind_t kind, const char *name)
{
    if (!name)
        return NULL;
    pthread_once(&s_once, s_build);
    cc_def_t key = {.kind = kind, .name = name};
    const cc_def_t *keyp = &key;
    const cc_def_t **hit = bsearch(&keyp, s_sorted, s_ndefs, sizeof s_sorted[0], s_cmp_def);
    return hit ? *hit : NULL;
}

const char *cc_json_type_name(cc_json_type_t type)
{
    switch (type) {
    case CC_JT_STRING:
        return "string";
    case CC_JT_INT:
        return "int";
    case CC_JT_NUMBER:
        return "number";
    case CC_JT_BOOL:
        return "bool";
    case CC_JT_OBJECT:
        return "object";
    case CC_JT_ARRAY:
        return "array";
    case CC_JT_ANY:
        return "any";
    }
    return "?";
}

/* ---- checking ------------------------------------------------------------------- */

static const char *s_part_word(cc_part_kind_t kind)
{
    return kind == CC_PART_FIELD ? "field" : kind == CC_PART_ARG ? "arg" : "result";
}

static bool s_type_ok(cc_json_type_t type, const json_t *v)
{
    switch (type) {
    case CC_JT_STRING:
        return json_is_string(v);
    case CC_JT_INT:
        return json_is_integer(v);
    case CC_JT_NUMBER:
        return json_is_number(v);
    case CC_JT_BOOL:
        return json_is_boolean(v);
    case CC_JT_OBJECT:
        return json_is_object(v);
    case CC_JT_ARRAY:
        return json_is_array(v);
    case CC_JT_ANY:
        return true;
    }
    return false;
}

static bool s_is_envelope_key(const char *key)
{
    return !strcmp(key, "type") || !strcmp(key, "id") || !strcmp(key, "ts") ||
           !strcmp(key, "call_id");
}

static const cc_part_t *s_find_part(cc_part_kind_t kind, const char *def, const char *name)
{
    size_t n;
    const cc_part_t *const *parts = s_parts_of(kind, def, &n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(parts[i]->name, name))
            return parts[i];
    return NULL;
}

/* A JSON null counts as absent: optional parts may be sent as null. */
int cc_events_check(cc_part_kind_t kind, const char *name, json_t *obj, char *err, size_t errlen)
{
    cc_def_kind_t dkind = kind == CC_PART_FIELD ? CC_DEF_EVENT : CC_DEF_COMMAND;
    const char *word = s_part_word(kind);
    if (!cc_events_find(dkind, name)) {
        snprintf(err, errlen, "unknown %s '%s'", dkind == CC_DEF_EVENT ? "event" : "command",
                 name ? name : "(null)");
        return -1;
    }
    if (obj && !json_is_object(obj)) {
        snprintf(err, errlen, "%ss of '%s' must be an object", word, name);
        return -1;
    }
    size_t nparts;
    const cc_part_t *const *parts = s_parts_of(kind, name, &nparts);
    for (size_t i = 0; i < nparts; i++) {
        const cc_part_t *p = parts[i];
        json_t *v = obj ? json_object_get(obj, p->name) : NULL;
        if (!v || json_is_null(v)) {
            if (p->presence == CC_REQUIRED) {
                snprintf(err, errlen, "missing %s '%s'", word, p->name);
                return -1;
            }
            continue;
        }
        if (!s_type_ok(p->type, v)) {
            snprintf(err, errlen, "%s '%s' must be %s", word, p->name, cc_json_type_name(p->type));
            return -1;
        }
    }
    if (kind == CC_PART_FIELD && obj) {
        const char *key;
        json_t *v;
        json_object_foreach(obj, key, v)
        {
            if (!s_is_envelope_key(key) && !s_find_part(kind, name, key)) {
                snprintf(err, errlen, "undeclared field '%s' in '%s'", key, name);
                return -1;
            }
        }
    }
    if (errlen)
        err[0] = '\0';
    return 0;
}

/* ---- Markdown ------------------------------------------------------------------- */

/* Table cells: a '|' would end the cell. */
static void s_md_cell(FILE *out, const char *text)
{
    for (const char *c = text; *c; c++) {
        if (*c == '|')
            fputs("\\|", out);
        else
            fputc(*c, out);
    }
}

static const char *s_domain_of(const char *file, char *buf, size_t len)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    size_t n = strcspn(base, ".");
    if (n >= len)
        n = len - 1;
    memcpy(buf, base, n);
    buf[n] = '\0';
    return buf;
}

static void s_md_table(FILE *out, const cc_def_t *def, cc_part_kind_t kind, const char *none)
{
    bool any = false;
    for (size_t i = 0; i < s_nparts; i++) {
        const cc_part_t *p = &s_parts[i];
        if (p->kind != kind || strcmp(p->def_name, def->name) != 0)
            continue;
        if (!any)
            fputs("| name | type | required | description |\n|---|---|---|---|\n", out);
        any = true;
        fprintf(out, "| `%s` | %s | %s | ", p->name, cc_json_type_name(p->type),
                p->presence == CC_REQUIRED ? "yes" : "no");
        s_md_cell(out, p->help);
        fputs(" |\n", out);
    }
    if (!any)
        fprintf(out, "%s\n", none);
    fputc('\n', out);
}

static void s_md_intro(FILE *out)
{
    fputs(
        "# Bus events and commands\n\n"
        "Generated from `common/events/*.def` by `ccctl events doc`: do not edit by hand.\n"
        "A test checks this file is current and that events seen on a live bus match it.\n\n"
        "## Events\n\n"
        "Each daemon binds a PUB socket at `ipc://<run_dir>/<name>.pub`. An event is two\n"
        "frames, `[type][json]`, so subscribers can filter by type prefix. The JSON object\n"
        "carries the envelope and then the event's own fields:\n\n"
        "    {\"type\":\"call.answered\",\"id\":{\"pub\":\"sipproxy\",\"epoch\":E,\"seq\":N},\n"
        "     \"ts\":\"2026-11-21T13:17:03.123456Z\",\"call_id\":\"...\", ...fields}\n\n"
        "| envelope key | meaning |\n|---|---|\n"
        "| `type` | event type, `domain.event` |\n"
        "| `id.pub` | publisher's bus name |\n"
        "| `id.epoch` | publisher's start time in microseconds; changes on every restart |\n"
        "| `id.seq` | counts from 1 within an epoch, across all the publisher's event types |\n"
        "| `ts` | UTC time of publication, microseconds |\n"
        "| `call_id` | the call concerned, when there is one |\n\n"
        "An event carries only the fields declared below (a publisher that sends an\n"
        "undeclared or mistyped field is refused). A JSON `null` counts as absent.\n"
        "Subscribers that must not lose events keep a cursor (epoch, seq) and, on a gap\n"
        "or a new epoch, ask the publisher for the missed events with `bus.replay`.\n\n"
        "## Commands\n\n"
        "A daemon that serves commands binds a ROUTER at `ipc://<run_dir>/<name>.cmd`;\n"
        "callers use a DEALER and match replies by request id. Request, one frame:\n\n"
        "    {\"type\":\"cmd.name\",\"req\":\"<request id>\",\"args\":{...}}\n\n"
        "Reply, one frame:\n\n"
        "    {\"req\":\"<id>\",\"ok\":true,\"result\":{...}}\n"
        "    "
        "{\"req\":\"<id>\",\"ok\":false,\"error\":{\"code\":\"bad_args\",\"message\":\"...\"}}\n\n"
        "Error codes from the bus layer: `bad_json` (not a JSON object, or no `type`),\n"
        "`unknown_command`, `bad_args` (missing or mistyped argument; the message says\n"
        "which). Handlers add their own codes. Arguments not declared are ignored.\n\n",
        out);
}

void cc_events_write_markdown(FILE *out)
{
    pthread_once(&s_once, s_build);
    s_md_intro(out);
    /* Domains in catalogue order; each domain is one .def file. */
    char domain[64];
    const char *done[S_NROWS];
    size_t ndone = 0;
    for (size_t i = 0; i < s_ndefs; i++) {
        const char *file = s_def_file[i];
        bool seen = false;
        for (size_t j = 0; j < ndone; j++)
            seen = seen || !strcmp(done[j], file);
        if (seen)
            continue;
        done[ndone++] = file;
        fprintf(out, "## Domain `%s`\n\nDeclared in `common/events/%s.def`.\n\n",
                s_domain_of(file, domain, sizeof domain), domain);
        for (int kind = CC_DEF_EVENT; kind <= CC_DEF_COMMAND; kind++) {
            for (size_t k = i; k < s_ndefs; k++) {
                const cc_def_t *d = &s_defs[k];
                if ((int)d->kind != kind || strcmp(s_def_file[k], file) != 0)
                    continue;
                if (kind == CC_DEF_EVENT) {
                    fprintf(out, "### Event `%s`\n\nPublished by: %s.\n\n%s\n\n", d->name, d->owner,
                            d->help);
                    s_md_table(out, d, CC_PART_FIELD, "No fields beyond the envelope.");
                } else {
                    fprintf(out, "### Command `%s`\n\nServed by: %s.\n\n%s\n\n", d->name, d->owner,
                            d->help);
                    fputs("Arguments:\n\n", out);
                    s_md_table(out, d, CC_PART_ARG, "None.");
                    fputs("Result:\n\n", out);
                    s_md_table(out, d, CC_PART_RESULT, "None.");
                }
            }
        }
    }
}
