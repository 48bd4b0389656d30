/* sp_pickup.h - call pickup decisions: which dialled numbers ask for a pickup (*8 group,
 * ** + extension directed) and which ringing call a phone takes. Pure: candidates (calls
 * ringing an extension, gathered by the glue) in, a choice out; no sofia, no clock. The
 * glue that answers the picker and hands it the call is sp_callpickup.c. */
#ifndef SP_PICKUP_H
#define SP_PICKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SP_PICKUP_GROUP_MAX 41 /* sip_users.pickup_group: 1-40 of [A-Za-z0-9_.-] */

typedef enum {
    SP_PICKUP_GROUP = 1, /* *8: a call ringing any phone of the picker's pickup group */
    SP_PICKUP_DIRECTED,  /* **EXT: a call ringing that extension */
} sp_pickup_mode_t;

/* One extension being rung by one call (a call ringing several extensions, a ring group,
 * is several candidates). */
typedef struct {
    const char *call_id;
    const char *ext;    /* the extension being rung */
    const char *group;  /* its pickup group, "" for none */
    const char *caller; /* who is calling */
    uint64_t since;     /* when the call started (older calls are picked first) */
} sp_pickup_cand_t;

typedef enum {
    SP_PICKUP_FOUND = 0,
    SP_PICKUP_NO_GROUP, /* group pickup by an extension that is in no group */
    SP_PICKUP_NOTHING,  /* nothing ringing that this phone may take */
} sp_pickup_result_t;

/* "*8" -> group; "**1002" -> directed at 1002 (2-15 digits). False for anything else. */
bool sp_pickup_match(const char *dialled, sp_pickup_mode_t *mode, char *ext, size_t extlen);

/* The group pickup name is valid (1-40 of letters, digits, _ . -)? */
bool sp_pickup_group_ok(const char *name);

/* Which candidate `picker` (in group picker_group, "" for none) takes: for a group pickup
 * a call ringing another member of its group, for a directed one a call ringing
 * `directed_ext`; never a call the picker made itself or one ringing the picker; the
 * oldest call first, then the first candidate given. *index is set on FOUND. */
sp_pickup_result_t sp_pickup_choose(sp_pickup_mode_t mode, const char *picker,
                                    const char *picker_group, const char *directed_ext,
                                    const sp_pickup_cand_t *cands, size_t n, size_t *index);

#endif
