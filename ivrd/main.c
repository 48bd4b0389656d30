/* ivrd/main.c - ivrd: IVR flow engine. Runs the live flow of each call sipproxy hands over
 * (ivr.start): answers, plays prompts and takes keys through mediad, looks callers up,
 * routes them on (extension, number, queue) and stores every call's path. Also runs the
 * conference rooms (conf.start) and voicemail deposits (vm.deposit): same kind of work on
 * the same calls and mediad.
 * Wiring only: the interpreter is ivr_run*.c (over the flow model in ivrflow/), the
 * adapters ivrd_flows.c (live flows), ivrd_db.c (database worker) and ivrd_call.c (calls
 * and the bus). */
#include <stdlib.h>

#include "cc_daemon.h"
#include "cc_log.h"
#include "ivrd.h"

static const cc_daemon_spec_t s_spec = {
    .name = "ivrd",
    .summary = "IVR flow engine",
    .uses_postgres = true,
};

int64_t ivrd_now_ms(const ivrd_t *self)
{
    return (int64_t)(cc_wall_us() / 1000) + self->clock_offset_ms;
}

static void s_status(cc_daemon_t *d, json_t *details, void *arg)
{
    (void)d;
    ivrd_t *self = arg;
    json_t *flows = ivrd_flows_list(self->flows);
    json_object_set_new(details, "calls", json_integer((json_int_t)ivrd_calls_count(self->calls)));
    json_object_set_new(details, "flows", flows);
    json_object_set_new(details, "clock_offset_s", json_integer(self->clock_offset_ms / 1000));
    ivrd_db_stats(self->db, details);
    ivrd_conf_status(self->conf, details);
    ivrd_vm_status(self->vm, details);
    ivrd_vmmenu_status(self->vmmenu, details);
    ivrd_vmmail_status(self->vmmail, details);
}

static void s_stop(cc_daemon_t *d, void *arg)
{
    (void)d;
    ivrd_calls_stop(((ivrd_t *)arg)->calls);
    ivrd_conf_stop(((ivrd_t *)arg)->conf);
    ivrd_vm_stop(((ivrd_t *)arg)->vm);
    ivrd_vmmenu_stop(((ivrd_t *)arg)->vmmenu);
}

int main(int argc, char **argv)
{
    ivrd_t ivrd = {0};
    ivrd.daemon = cc_daemon_start(&s_spec, argc, argv);
    ivrd.clock_offset_ms = cc_config_int(ivrd.daemon->cfg, "ivrd", "clock_offset_s") * 1000;
    if (ivrd.clock_offset_ms)
        cc_warn("ivr.clock_offset",
                "offset_s=%lld reason=\"[ivrd] clock_offset_s is set: "
                "schedules see a shifted clock\"",
                (long long)(ivrd.clock_offset_ms / 1000));
    ivrd.flows = ivrd_flows_new(&ivrd);
    if (!ivrd.flows) {
        fprintf(stderr, "ivrd: cannot read the IVR flows from the database (see above)\n");
        cc_daemon_destroy(&ivrd.daemon);
        return 3;
    }
    ivrd.db = ivrd_db_new(&ivrd, ivrd_calls_lookup_result);
    ivrd.calls = ivrd.db ? ivrd_calls_new(&ivrd) : NULL;
    ivrd.conf = ivrd.calls ? ivrd_conf_new(&ivrd) : NULL;
    ivrd.vm = ivrd.conf ? ivrd_vm_new(&ivrd) : NULL;
    ivrd.vmmenu = ivrd.vm ? ivrd_vmmenu_new(&ivrd, ivrd.vm) : NULL;
    ivrd.vmmail = ivrd.vmmenu ? ivrd_vmmail_new(&ivrd, ivrd.vm) : NULL;
    if (!ivrd.vmmail) {
        ivrd_vmmenu_destroy(&ivrd.vmmenu);
        ivrd_vm_destroy(&ivrd.vm);
        ivrd_conf_destroy(&ivrd.conf);
        ivrd_calls_destroy(&ivrd.calls);
        fprintf(stderr, "ivrd: cannot set up (database worker, conference rooms, voicemail, bus "
                        "handlers)\n");
        ivrd_db_destroy(&ivrd.db);
        ivrd_flows_destroy(&ivrd.flows);
        cc_daemon_destroy(&ivrd.daemon);
        return 1;
    }
    cc_daemon_on_status(ivrd.daemon, s_status, &ivrd);
    cc_daemon_on_stop(ivrd.daemon, s_stop, &ivrd);
    cc_info("ivr.started", "flows=%zu", ivrd_flows_count(ivrd.flows));
    cc_daemon_ready(ivrd.daemon);
    int rc = cc_daemon_run(ivrd.daemon);
    ivrd_vmmail_destroy(&ivrd.vmmail);
    ivrd_vmmenu_destroy(&ivrd.vmmenu);
    ivrd_vm_destroy(&ivrd.vm);
    ivrd_conf_destroy(&ivrd.conf);
    ivrd_calls_destroy(&ivrd.calls);
    ivrd_db_destroy(&ivrd.db); /* writes what is left of the paths */
    ivrd_flows_destroy(&ivrd.flows);
    cc_daemon_destroy(&ivrd.daemon);
    return rc;
}
