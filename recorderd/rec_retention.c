/* rec_retention.c - how long recordings are kept: every [recorderd] retention_interval
 * seconds (and on rec.sweep) the recordings whose retention ended and that are under no
 * legal hold (rec_db_expired decides which) lose their file and are marked deleted in the
 * index, each announced as rec.deleted. Recordings being written are rec_session.c's. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cc_log.h"
#include "rec_calls_int.h"
#include "rec_db.h"

static void s_expired(int64_t id, const char *path, bool encrypted, void *arg)
{
    (void)encrypted;
    rec_calls_t *self = arg;
    if (unlink(path) < 0 && errno != ENOENT) {
        cc_warn("rec.delete_failed", "recording=%lld path=%s error=%s", (long long)id,
                cc_logq(path), cc_logq(strerror(errno)));
        return;
    }
    if (rec_db_mark_deleted(self->pg, id) == 0) {
        self->deleted++;
        cc_info("rec.deleted", "recording=%lld path=%s", (long long)id, cc_logq(path));
        cc_bus_publish(self->bus, "rec.deleted", NULL,
                       json_pack("{s:I}", "recording_id", (json_int_t)id));
    }
}

int rec_retention_sweep(rec_calls_t *self)
{
    uint64_t before = self->deleted;
    rec_db_expired(self->pg, s_expired, self);
    return (int)(self->deleted - before);
}

void rec_retention_on_timer(cc_loop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    rec_retention_sweep(arg);
}
