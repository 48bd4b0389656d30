/* ccctl_bus.c - `ccctl bus keygen`: CURVE key pairs for the bus across hosts. Each daemon
 * (and ccctl itself) gets NAME.cert_secret in bus_keys_dir (private to the host, mode
 * 0600) and NAME.cert in bus_allow_dir (its public key: copy it to every host whose
 * daemons it may talk to). cc_bus_net.c reads both. */
#include <czmq.h>
#include <ctype.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ccctl.h"

void ccctl_bus_usage(FILE *out)
{
    fputs("usage: ccctl bus keygen NAME... [--keys DIR] [--allow DIR] [--force]\n"
          "  make a CURVE key pair per daemon NAME (sipproxy, mediad, ..., ccctl for this\n"
          "  tool): DIR/NAME.cert_secret in --keys (default [common] bus_keys_dir, mode 0600)\n"
          "  and NAME.cert, the public half, in --allow (default [common] bus_allow_dir).\n"
          "  Copy the .cert files to every host that lists these daemons in bus_peers.\n"
          "  An existing key pair is kept unless --force.\n",
          out);
}

static bool s_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.')
            return false; /* no '-': a bus name's key is the part before its first '-' */
    return true;
}

static int s_keygen(const char *name, const char *keys, const char *allow, bool force)
{
    char secret[PATH_MAX + 80], public[PATH_MAX + 80];
    snprintf(secret, sizeof secret, "%s/%s.cert_secret", keys, name);
    snprintf(public, sizeof public, "%s/%s.cert", allow, name);
    if (!force && access(secret, F_OK) == 0)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "%s exists: keeping it (--force makes a new one)",
                          secret);
    zcert_t *cert = zcert_new();
    if (!cert)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "cannot make a key pair");
    zcert_set_meta(cert, "name", "%s", name);
    mode_t old = umask(077);
    unlink(secret);
    int rc = zcert_save_secret(cert, secret);
    umask(old);
    if (rc == 0)
        rc = zcert_save_public(cert, public);
    zcert_destroy(&cert);
    if (rc != 0)
        return ccctl_fail(CCCTL_EXIT_REFUSED, "cannot write %s or %s", secret, public);
    printf("%s: key pair %s, public certificate %s\n", name, secret, public);
    return CCCTL_EXIT_OK;
}

int ccctl_bus_main(ccctl_t *ctx, int argc, char **argv)
{
    if (ccctl_wants_help(argc - 1, argv + 1)) {
        ccctl_bus_usage(stdout);
        return CCCTL_EXIT_OK;
    }
    if (argc < 2)
        return ccctl_usage_fail(ccctl_bus_usage, "bus: missing sub-command");
    if (strcmp(argv[1], "keygen") != 0)
        return ccctl_usage_fail(ccctl_bus_usage, "bus: unknown sub-command '%s'", argv[1]);
    const char *keys = NULL, *allow = NULL;
    bool force = false;
    const char *names[64];
    size_t nnames = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--keys") || !strcmp(argv[i], "--allow")) {
            if (i + 1 >= argc || !*argv[i + 1])
                return ccctl_usage_fail(ccctl_bus_usage, "%s needs a directory", argv[i]);
            *(argv[i][2] == 'k' ? &keys : &allow) = argv[i + 1];
            i++;
        } else if (!strcmp(argv[i], "--force")) {
            force = true;
        } else if (argv[i][0] == '-') {
            return ccctl_usage_fail(ccctl_bus_usage, "unknown option '%s'", argv[i]);
        } else if (!s_name_ok(argv[i])) {
            return ccctl_usage_fail(ccctl_bus_usage,
                                    "bad NAME '%s': 1-63 of A-Z a-z 0-9 _ . (a daemon's name)",
                                    argv[i]);
        } else if (nnames < sizeof names / sizeof names[0]) {
            names[nnames++] = argv[i];
        }
    }
    if (nnames == 0)
        return ccctl_usage_fail(ccctl_bus_usage, "bus keygen: name at least one daemon");
    if (!keys || !allow) {
        cc_config_t *cfg = ccctl_config(ctx);
        if (!cfg)
            return CCCTL_EXIT_USAGE;
        if (!keys)
            keys = cc_config_str(cfg, "common", "bus_keys_dir");
        if (!allow)
            allow = cc_config_str(cfg, "common", "bus_allow_dir");
    }
    struct stat st;
    if (!*keys || stat(keys, &st) != 0 || !S_ISDIR(st.st_mode))
        return ccctl_usage_fail(ccctl_bus_usage,
                                "the keys directory '%s' does not exist (--keys or bus_keys_dir)",
                                keys);
    if (!*allow || stat(allow, &st) != 0 || !S_ISDIR(st.st_mode))
        return ccctl_usage_fail(ccctl_bus_usage,
                                "the allow directory '%s' does not exist (--allow or "
                                "bus_allow_dir)",
                                allow);
    int rc = CCCTL_EXIT_OK;
    for (size_t i = 0; i < nnames; i++) {
        int one = s_keygen(names[i], keys, allow, force);
        if (one != CCCTL_EXIT_OK)
            rc = one;
    }
    return rc;
}
