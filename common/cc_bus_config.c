/* cc_bus_config.c - a bus set up from the instance's configuration: the run directory
 * for ipc and, when [common] bus_peers names daemons on other hosts, their TCP addresses
 * and this host's CURVE keys. Daemons (cc_daemon.c) and ccctl make their buses here, so
 * every process of an instance reaches every daemon the same way. */
#include "cc_bus.h"

#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "cc_config.h"
#include "cc_errbuf.h"

cc_bus_t *cc_bus_from_config(const char *name, const cc_config_t *cfg, int replay_depth, char *err,
                             size_t errlen)
{
    cc_bus_t *bus = cc_bus_new(name, cc_config_run_dir(cfg), replay_depth);
    if (!bus) {
        cc_errf(err, errlen, "cannot create the bus (out of memory)");
        return NULL;
    }
    cc_bus_network_t net = {
        .peers = cc_config_str(cfg, "common", "bus_peers"),
        .keys_dir = cc_config_str(cfg, "common", "bus_keys_dir"),
        .allow_dir = cc_config_str(cfg, "common", "bus_allow_dir"),
    };
    if (cc_bus_set_network(bus, &net, err, errlen) != 0) {
        cc_bus_destroy(&bus);
        return NULL;
    }
    return bus;
}

bool cc_bus_config_surely_down(const cc_config_t *cfg, const char *daemon)
{
    const char *peers = cc_config_str(cfg, "common", "bus_peers");
    size_t n = strlen(daemon);
    for (const char *s = peers; s && (s = strstr(s, daemon)) != NULL; s += n)
        if ((s == peers || strchr(" ,\t", s[-1])) && s[n] == '=')
            return false; /* over TCP: only a request can tell */
    char endpoint[PATH_MAX + 16];
    struct stat st;
    cc_bus_endpoint(endpoint, sizeof endpoint, cc_config_run_dir(cfg), daemon, "cmd");
    return stat(endpoint + 6, &st) != 0;
}
