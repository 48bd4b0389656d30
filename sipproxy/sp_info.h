/* sp_info.h - keys a phone sends in SIP INFO inside a dialog: which bodies carry one
 * (pure, tested) and passing the key to mediad, where RFC 4733 and in-band keys are
 * reported, so every consumer of media.dtmf sees it the same way (method info). */
#ifndef SP_INFO_H
#define SP_INFO_H

#include <stdbool.h>

/* Content types of INFO bodies we take. */
typedef enum {
    SP_INFO_OK = 0,           /* a key: *digit (and *duration_ms, 0 when not given) */
    SP_INFO_UNSUPPORTED = -1, /* not a DTMF content type: 415 */
    SP_INFO_BAD = -2,         /* a DTMF content type without a valid key: 400 */
} sp_info_result_t;

/* application/dtmf-relay ("Signal=5\r\nDuration=160") or application/dtmf ("5").
 * content_type without parameters, case-insensitive; body may be NULL. */
sp_info_result_t sp_info_dtmf_parse(const char *content_type, const char *body, char *digit,
                                    int *duration_ms);

#endif
