/* rec_recovery.c - at start-up, the recordings a crash (or kill -9) left open: each file
 * is made whole again (rec_file_repair: plain WAV headers fixed, an encrypted file cut
 * after its last authentic chunk), its size, sha256 and duration go into the index, and
 * the row is closed as incomplete. Live recordings are rec_session.c's. */
#include "cc_log.h"
#include "rec_calls_int.h"
#include "rec_db.h"

static void s_recover_one(int64_t id, const char *path, bool encrypted, void *arg)
{
    rec_calls_t *self = arg;
    uint64_t size = 0, frames = 0;
    char sha[65] = "";
    int rc = rec_file_repair(path, encrypted ? self->cfg.master : NULL, &size, sha, &frames);
    rec_db_finish(self->pg, id, (int64_t)(frames / 8), size, rc == 0 ? sha : NULL, false, "[]", 0,
                  "[]");
    cc_warn("rec.recovered", "recording=%lld path=%s duration_ms=%llu size=%llu repaired=%d",
            (long long)id, cc_logq(path), (unsigned long long)(frames / 8),
            (unsigned long long)size, rc == 0);
}

int rec_recovery_run(rec_calls_t *self)
{
    return rec_db_open_rows(self->pg, s_recover_one, self);
}
