/* cc_config_test.c - unit tests of the config loader: file syntax, errors naming file:line,
 * per-type validation, environment precedence, derived paths, conninfo quoting and the
 * generated example. Files live in one temp dir, removed at exit. */
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "cc_config.h"
#include "cc_test.h"

static char s_dir[PATH_MAX];
static int s_file_no;

static int s_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void s_remove_dir(void)
{
    if (s_dir[0])
        nftw(s_dir, s_rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Writes text into a new file of the temp dir, mode 0600 as configs holding passwords
 * must be; returns its path (static ring). */
static const char *s_write(const char *text)
{
    static char paths[4][PATH_MAX + 32];
    if (!s_dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(s_dir, sizeof s_dir, "%s/cc_config_test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(s_dir)) {
            s_dir[0] = '\0';
            return NULL;
        }
        atexit(s_remove_dir);
    }
    char *path = paths[s_file_no % 4];
    snprintf(path, sizeof paths[0], "%s/cc%d.conf", s_dir, s_file_no++);
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    chmod(path, 0600);
    return path;
}

/* The ambient environment must not leak into the tests (CI may set CC_VAR_DIR). */
static void s_clear_env(void)
{
    size_t n;
    const cc_cfg_key_t *keys = cc_config_keys(&n);
    for (size_t i = 0; i < n; i++) {
        char name[128];
        if (strcmp(keys[i].section, "common") == 0)
            snprintf(name, sizeof name, "CC_%s", keys[i].key);
        else
            snprintf(name, sizeof name, "CC_%s_%s", keys[i].section, keys[i].key);
        for (char *p = name; *p; p++)
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 'a' + 'A');
        unsetenv(name);
    }
    unsetenv("CC_CONFIG");
}

/* Loads text; returns NULL and the error in err when it fails. */
static cc_config_t *s_load_text(const char *text, char *err, size_t errlen, const char **path)
{
    const char *p = s_write(text);
    if (path)
        *path = p;
    return cc_config_load(p, err, errlen);
}

CC_TEST(config_defaults)
{
    char err[512] = "";
    s_clear_env();
    cc_config_t *cfg = cc_config_load(NULL, err, sizeof err);
    CC_CHECK(cfg);
    char cwd[PATH_MAX], expect[PATH_MAX + 16];
    CC_CHECK(getcwd(cwd, sizeof cwd));
    int lo = 0, hi = 0;
    cc_config_range(cfg, "common", "rtp_ports", &lo, &hi);
    long port = cc_config_int(cfg, "common", "sip_port");
    long hb = cc_config_int(cfg, "common", "heartbeat_interval");
    long level = cc_config_int(cfg, "common", "log_level");
    snprintf(expect, sizeof expect, "%s/var", cwd);
    bool var_ok = strcmp(cc_config_var_dir(cfg), expect) == 0;
    snprintf(expect, sizeof expect, "%s/var/run", cwd);
    bool run_ok = strcmp(cc_config_run_dir(cfg), expect) == 0;
    bool user_ok = strcmp(cc_config_str(cfg, "sipproxy", "pg_user"), "cc_sipproxy") == 0;
    bool level_ok = strcmp(cc_config_str(cfg, "common", "log_level"), "info") == 0;
    cc_config_destroy(&cfg);
    CC_CHECK(cfg == NULL);
    cc_config_destroy(&cfg);
    CC_CHECK_INT(lo, 20000);
    CC_CHECK_INT(hi, 29999);
    CC_CHECK_INT(port, 5060);
    CC_CHECK_INT(hb, 5);
    CC_CHECK_INT(level, 1);
    CC_CHECK(var_ok);
    CC_CHECK(run_ok);
    CC_CHECK(user_ok);
    CC_CHECK(level_ok);
}

CC_TEST(config_file_syntax)
{
    char err[512] = "";
    s_clear_env();
    cc_config_t *cfg = s_load_text("# a comment\n"
                                   "; another comment\n"
                                   "\n"
                                   "   [common]   \n"
                                   "sip_port=5070\n"
                                   "  sip_domain   =   example.org   # trailing comment\n"
                                   "bind = \"0.0.0.0\"   # quoted, then a comment\n"
                                   "pg_db = \"db # not a comment\"\n"
                                   "run_dir = /tmp/cc run\n"
                                   "log_level = WARNING\n"
                                   "[ sipproxy ]\n"
                                   "pg_password = \"it's \\\"quoted\\\" \\\\ here\"\n"
                                   "pg_user = a#b\n"
                                   "[mediad]\n"
                                   "[common]\n"
                                   "heartbeat_interval = 7\n",
                                   err, sizeof err, NULL);
    if (!cfg)
        cc_test_fail(__FILE__, __LINE__, "load failed: %s", err);
    CC_CHECK(cfg);
    long port = cc_config_int(cfg, "common", "sip_port");
    long hb = cc_config_int(cfg, "common", "heartbeat_interval");
    char domain[64], bind[64], db[64], pass[64], user[64], level[16], run[64];
    snprintf(domain, sizeof domain, "%s", cc_config_str(cfg, "common", "sip_domain"));
    snprintf(bind, sizeof bind, "%s", cc_config_str(cfg, "common", "bind"));
    snprintf(db, sizeof db, "%s", cc_config_str(cfg, "common", "pg_db"));
    snprintf(pass, sizeof pass, "%s", cc_config_str(cfg, "sipproxy", "pg_password"));
    snprintf(user, sizeof user, "%s", cc_config_str(cfg, "sipproxy", "pg_user"));
    snprintf(level, sizeof level, "%s", cc_config_str(cfg, "common", "log_level"));
    snprintf(run, sizeof run, "%s", cc_config_run_dir(cfg));
    cc_config_destroy(&cfg);
    CC_CHECK_INT(port, 5070);
    CC_CHECK_INT(hb, 7);
    CC_CHECK_STR(domain, "example.org");
    CC_CHECK_STR(bind, "0.0.0.0");
    CC_CHECK_STR(db, "db # not a comment");
    CC_CHECK_STR(pass, "it's \"quoted\" \\ here");
    CC_CHECK_STR(user, "a#b");
    CC_CHECK_STR(level, "warn");
    CC_CHECK_STR(run, "/tmp/cc run");
}

/* Expect loading text to fail with exactly "<file>:<suffix>". */
static void s_expect_file_error(const char *text, const char *suffix, int line)
{
    char err[512] = "", want[PATH_MAX + 512];
    const char *path;
    cc_config_t *cfg = s_load_text(text, err, sizeof err, &path);
    if (cfg) {
        cc_config_destroy(&cfg);
        cc_test_fail(__FILE__, line, "expected error \"%s\", but it loaded", suffix);
        return;
    }
    snprintf(want, sizeof want, "%s:%s", path, suffix);
    if (strcmp(err, want) != 0)
        cc_test_fail(__FILE__, line, "expected \"%s\", saw \"%s\"", want, err);
}

CC_TEST(config_file_errors)
{
    s_clear_env();
    s_expect_file_error("[sipproxy]\n\n# c\nring_timout = 30\n",
                        "4: unknown key 'ring_timout' in [sipproxy]", __LINE__);
    s_expect_file_error("[common]\nsip_port = 1\n[fax]\n", "3: unknown section [fax]", __LINE__);
    s_expect_file_error("sip_port = 5060\n", "1: key 'sip_port' outside any [section]", __LINE__);
    s_expect_file_error("[common]\njust words\n", "2: expected 'key = value', saw 'just words'",
                        __LINE__);
    s_expect_file_error("[common\n", "1: malformed section header '[common'", __LINE__);
    s_expect_file_error("[common] x\n", "1: malformed section header '[common] x'", __LINE__);
    s_expect_file_error("[common]\n = 5\n", "2: missing key before '='", __LINE__);
    s_expect_file_error("[common]\nsip_port = 5060\nsip_port = 5061\n",
                        "3: key 'sip_port' in [common] already set on line 2", __LINE__);
    s_expect_file_error("[common]\nbind = \"0.0.0.0\n",
                        "2: bind in [common]: closing quote missing", __LINE__);
    s_expect_file_error("[common]\nbind = \"a\" b\n",
                        "2: bind in [common]: unexpected text after closing quote", __LINE__);
    /* A key of another section is unknown here, even though it exists there. */
    s_expect_file_error("[mediad]\npg_user = x\n", "2: unknown key 'pg_user' in [mediad]",
                        __LINE__);

    char err[512];
    cc_config_t *cfg = cc_config_load("/nonexistent/cc.conf", err, sizeof err);
    CC_CHECK(cfg == NULL);
    CC_CHECK_STR(err, "/nonexistent/cc.conf: cannot open: No such file or directory");
}

CC_TEST(config_bad_values)
{
    s_clear_env();
    s_expect_file_error("[common]\nsip_port = abc\n",
                        "2: sip_port in [common]: 'abc' is not a port (1-65535)", __LINE__);
    s_expect_file_error("[common]\nsip_port = 0\n",
                        "2: sip_port in [common]: '0' is not a port (1-65535)", __LINE__);
    s_expect_file_error("[common]\nsip_port = 65536\n",
                        "2: sip_port in [common]: '65536' is not a port (1-65535)", __LINE__);
    s_expect_file_error("[common]\nsip_port =\n",
                        "2: sip_port in [common]: '' is not a port (1-65535)", __LINE__);
    s_expect_file_error("[common]\nheartbeat_interval = 5s\n",
                        "2: heartbeat_interval in [common]: '5s' is not an integer", __LINE__);
    s_expect_file_error("[common]\nheartbeat_interval = 0\n",
                        "2: heartbeat_interval in [common]: 0 is out of range (1-3600)", __LINE__);
    s_expect_file_error("[common]\nheartbeat_interval = 99999999999999999999999\n",
                        "2: heartbeat_interval in [common]: '99999999999999999999999' is not "
                        "an integer",
                        __LINE__);
    s_expect_file_error("[common]\nlog_level = loud\n",
                        "2: log_level in [common]: 'loud' is not a log level (debug, info, "
                        "warn, error)",
                        __LINE__);
    s_expect_file_error("[common]\nrtp_ports = 20000\n",
                        "2: rtp_ports in [common]: '20000' is not a port range (LO-HI)", __LINE__);
    s_expect_file_error("[common]\nrtp_ports = 30000-20000\n",
                        "2: rtp_ports in [common]: '30000-20000' is not a valid port range "
                        "(1024 <= LO <= HI <= 65535)",
                        __LINE__);
    s_expect_file_error("[common]\nrtp_ports = 100-2000\n",
                        "2: rtp_ports in [common]: '100-2000' is not a valid port range "
                        "(1024 <= LO <= HI <= 65535)",
                        __LINE__);
    s_expect_file_error("[common]\nrtp_ports = 2000-70000\n",
                        "2: rtp_ports in [common]: '2000-70000' is not a port range (LO-HI)",
                        __LINE__);

    /* Accepted edge values. */
    char err[512] = "";
    cc_config_t *cfg = s_load_text("[common]\nsip_port = 65535\nrtp_ports = 1024-1024\n"
                                   "heartbeat_interval = 3600\nlog_level = Debug\n",
                                   err, sizeof err, NULL);
    if (!cfg)
        cc_test_fail(__FILE__, __LINE__, "load failed: %s", err);
    CC_CHECK(cfg);
    int lo, hi;
    cc_config_range(cfg, "common", "rtp_ports", &lo, &hi);
    long port = cc_config_int(cfg, "common", "sip_port");
    long level = cc_config_int(cfg, "common", "log_level");
    cc_config_destroy(&cfg);
    CC_CHECK_INT(lo, 1024);
    CC_CHECK_INT(hi, 1024);
    CC_CHECK_INT(port, 65535);
    CC_CHECK_INT(level, 0);
}

CC_TEST(config_env_overrides)
{
    char err[512] = "";
    s_clear_env();
    const char *path = s_write("[common]\nsip_port = 5070\nhttp_port = 8081\n"
                               "[sipproxy]\npg_user = from_file\n");
    setenv("CC_SIP_PORT", "5080", 1);
    setenv("CC_SIPPROXY_PG_USER", "from_env", 1);
    setenv("CC_PG_DB", "envdb", 1);
    cc_config_t *cfg = cc_config_load(path, err, sizeof err);
    s_clear_env();
    if (!cfg)
        cc_test_fail(__FILE__, __LINE__, "load failed: %s", err);
    CC_CHECK(cfg);
    long sip = cc_config_int(cfg, "common", "sip_port");
    long http = cc_config_int(cfg, "common", "http_port");
    char user[64], db[64], acdd_user[64];
    snprintf(user, sizeof user, "%s", cc_config_str(cfg, "sipproxy", "pg_user"));
    snprintf(db, sizeof db, "%s", cc_config_str(cfg, "common", "pg_db"));
    snprintf(acdd_user, sizeof acdd_user, "%s", cc_config_str(cfg, "acdd", "pg_user"));
    cc_config_destroy(&cfg);
    CC_CHECK_INT(sip, 5080);  /* env beats file */
    CC_CHECK_INT(http, 8081); /* file beats default */
    CC_CHECK_STR(user, "from_env");
    CC_CHECK_STR(db, "envdb"); /* env beats default */
    CC_CHECK_STR(acdd_user, "cc_acdd");

    /* A bad environment value names the variable. */
    setenv("CC_SIP_PORT", "abc", 1);
    cfg = cc_config_load(NULL, err, sizeof err);
    s_clear_env();
    CC_CHECK(cfg == NULL);
    CC_CHECK_STR(err, "environment CC_SIP_PORT: 'abc' is not a port (1-65535)");

    /* An empty environment value is a value (here: an empty password). */
    setenv("CC_ACDD_PG_PASSWORD", "", 1);
    setenv("CC_HEARTBEAT_INTERVAL", "0", 1);
    cfg = cc_config_load(NULL, err, sizeof err);
    s_clear_env();
    CC_CHECK(cfg == NULL);
    CC_CHECK_STR(err, "environment CC_HEARTBEAT_INTERVAL: 0 is out of range (1-3600)");
}

CC_TEST(config_paths)
{
    char err[512] = "", cwd[PATH_MAX], want[PATH_MAX + 32];
    s_clear_env();
    CC_CHECK(getcwd(cwd, sizeof cwd));
    cc_config_t *cfg = s_load_text("[common]\nvar_dir = ./state/x\n", err, sizeof err, NULL);
    CC_CHECK(cfg);
    char var[PATH_MAX + 32], run[PATH_MAX + 32];
    snprintf(var, sizeof var, "%s", cc_config_var_dir(cfg));
    snprintf(run, sizeof run, "%s", cc_config_run_dir(cfg));
    cc_config_destroy(&cfg);
    snprintf(want, sizeof want, "%s/state/x", cwd);
    CC_CHECK_STR(var, want);
    snprintf(want, sizeof want, "%s/state/x/run", cwd);
    CC_CHECK_STR(run, want);

    /* Absolute stays as it is; run_dir set explicitly wins over var_dir/run; paths need
     * not exist. */
    setenv("CC_VAR_DIR", "/srv/cc", 1);
    setenv("CC_RUN_DIR", "sockets", 1);
    cfg = cc_config_load(NULL, err, sizeof err);
    s_clear_env();
    CC_CHECK(cfg);
    snprintf(var, sizeof var, "%s", cc_config_var_dir(cfg));
    snprintf(run, sizeof run, "%s", cc_config_run_dir(cfg));
    cc_config_destroy(&cfg);
    CC_CHECK_STR(var, "/srv/cc");
    snprintf(want, sizeof want, "%s/sockets", cwd);
    CC_CHECK_STR(run, want);
}

CC_TEST(config_pg_conninfo)
{
    char err[512] = "";
    s_clear_env();
    setenv("CC_RUN_DIR", "/run/cc", 1);
    setenv("CC_SIPPROXY_PG_PASSWORD", "p'a\\ss word", 1);
    cc_config_t *cfg = cc_config_load(NULL, err, sizeof err);
    s_clear_env();
    CC_CHECK(cfg);
    char *sip = cc_config_pg_conninfo(cfg, "sipproxy");
    char *acd = cc_config_pg_conninfo(cfg, "acdd");
    char *media = cc_config_pg_conninfo(cfg, "mediad");
    cc_config_destroy(&cfg);
    char a[512], b[512], c[512];
    snprintf(a, sizeof a, "%s", sip ? sip : "(null)");
    snprintf(b, sizeof b, "%s", acd ? acd : "(null)");
    snprintf(c, sizeof c, "%s", media ? media : "(null)");
    free(sip);
    free(acd);
    free(media);
    CC_CHECK_STR(a, "host='/run/cc' port='5432' dbname='callcenter' user='cc_sipproxy' "
                    "password='p\\'a\\\\ss word' application_name='sipproxy'");
    CC_CHECK_STR(b, "host='/run/cc' port='5432' dbname='callcenter' user='cc_acdd' "
                    "application_name='acdd'");
    CC_CHECK_STR(c, "host='/run/cc' port='5432' dbname='callcenter' application_name='mediad'");

    /* pg_host set: used instead of run_dir. */
    cfg =
        s_load_text("[common]\npg_host = db.example.org\npg_port = 6543\n", err, sizeof err, NULL);
    CC_CHECK(cfg);
    char *info = cc_config_pg_conninfo(cfg, "cdrd");
    cc_config_destroy(&cfg);
    snprintf(a, sizeof a, "%s", info ? info : "(null)");
    free(info);
    CC_CHECK_STR(a, "host='db.example.org' port='6543' dbname='callcenter' user='cc_cdrd' "
                    "application_name='cdrd'");
}

CC_TEST(config_example_lists_every_key)
{
    char *text = NULL, *again = NULL;
    size_t len = 0, len2 = 0;
    FILE *f = open_memstream(&text, &len);
    CC_CHECK(f);
    cc_config_write_example(f);
    fclose(f);
    f = open_memstream(&again, &len2);
    CC_CHECK(f);
    cc_config_write_example(f);
    fclose(f);
    bool same = len == len2 && memcmp(text, again, len) == 0;
    free(again);

    size_t n;
    const cc_cfg_key_t *keys = cc_config_keys(&n);
    char missing[256] = "";
    for (size_t i = 0; i < n && !missing[0]; i++) {
        char section[96], line[256];
        snprintf(section, sizeof section, "\n[%s]\n", keys[i].section);
        const char *at = strstr(text, section);
        snprintf(line, sizeof line, "\n# %s = ", keys[i].key);
        /* The key's line must follow its own section header. */
        const char *k = at ? strstr(at, line) : NULL;
        const char *next = at ? strstr(at + 1, "\n[") : NULL;
        if (!k || (next && k > next))
            snprintf(missing, sizeof missing, "[%s] %s", keys[i].section, keys[i].key);
    }
    bool has_mediad = strstr(text, "\n[mediad]\n") != NULL;
    bool has_default = strstr(text, "\n# sip_port = 5060\n") != NULL;
    bool empty_quoted = strstr(text, "\n# pg_host = \"\"\n") != NULL;
    bool has_env = strstr(text, "env CC_SIPPROXY_PG_USER") != NULL;
    /* Nothing is active: every non-blank line is a comment or a section header. */
    bool all_commented = true;
    for (char *line = text; line && *line;) {
        char *end = strchr(line, '\n');
        if (*line != '#' && *line != '[' && *line != '\n')
            all_commented = false;
        line = end ? end + 1 : NULL;
    }
    free(text);
    CC_CHECK(n > 10);
    CC_CHECK_STR(missing, "");
    CC_CHECK(same);
    CC_CHECK(has_mediad);
    CC_CHECK(has_default);
    CC_CHECK(empty_quoted);
    CC_CHECK(has_env);
    CC_CHECK(all_commented);
}

CC_TEST(config_example_round_trips)
{
    /* Uncommenting every "# key = default" line must load and change nothing. */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CC_CHECK(f);
    cc_config_write_example(f);
    fclose(f);
    char *out = malloc(len + 1);
    size_t o = 0;
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line + 1) : strlen(line);
        /* "# <identifier> = ..." is a setting; help lines are prose. */
        size_t id = 2;
        while (id < n && ((line[id] >= 'a' && line[id] <= 'z') || line[id] == '_' ||
                          (line[id] >= '0' && line[id] <= '9')))
            id++;
        bool setting = n > 2 && line[0] == '#' && line[1] == ' ' && id > 2 && id + 3 <= n &&
                       memcmp(line + id, " = ", 3) == 0;
        if (setting) {
            memcpy(out + o, line + 2, n - 2);
            o += n - 2;
        } else {
            memcpy(out + o, line, n);
            o += n;
        }
        line += n;
    }
    out[o] = '\0';
    free(text);
    s_clear_env();
    char err[512] = "";
    cc_config_t *cfg = s_load_text(out, err, sizeof err, NULL);
    free(out);
    if (!cfg)
        cc_test_fail(__FILE__, __LINE__, "uncommented example failed: %s", err);
    CC_CHECK(cfg);
    long port = cc_config_int(cfg, "common", "sip_port");
    char pg_host[16];
    snprintf(pg_host, sizeof pg_host, "%s", cc_config_str(cfg, "common", "pg_host"));
    cc_config_destroy(&cfg);
    CC_CHECK_INT(port, 5060);
    CC_CHECK_STR(pg_host, "");
}

CC_TEST(config_help_names_section_and_common)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CC_CHECK(f);
    cc_config_print_help(f, "sipproxy");
    fclose(f);
    bool common = strstr(text, "[common]") && strstr(text, "sip_port = 5060");
    bool own = strstr(text, "[sipproxy]") && strstr(text, "pg_user = cc_sipproxy");
    bool other = strstr(text, "cc_acdd") != NULL;
    free(text);
    CC_CHECK(common);
    CC_CHECK(own);
    CC_CHECK(!other);
}

CC_TEST(config_default_path)
{
    s_clear_env();
    setenv("CC_CONFIG", "/some/where.conf", 1);
    const char *p = cc_config_default_path();
    char got[64];
    snprintf(got, sizeof got, "%s", p ? p : "(null)");
    unsetenv("CC_CONFIG");
    CC_CHECK_STR(got, "/some/where.conf");

    /* $CC_VAR_DIR/cc.conf when it exists. */
    const char *file = s_write("[common]\n");
    CC_CHECK(file);
    char var_conf[PATH_MAX + 16];
    snprintf(var_conf, sizeof var_conf, "%s/cc.conf", s_dir);
    CC_CHECK_INT(rename(file, var_conf), 0);
    setenv("CC_VAR_DIR", s_dir, 1);
    p = cc_config_default_path();
    char found[PATH_MAX + 16];
    snprintf(found, sizeof found, "%s", p ? p : "(null)");
    unlink(var_conf);
    unsetenv("CC_VAR_DIR");
    CC_CHECK_STR(found, var_conf);
}

/* Whatever keys the .def files declare, each type rejects garbage with its own reason
 * and accepts a good value; this covers types no key uses yet only once one does. */
CC_TEST(config_every_type_validates)
{
    static const struct {
        cc_cfg_type_t type;
        const char *bad, *reason, *good, *stored;
    } cases[] = {
        {CC_CFG_INT, "12x", "is not an integer", NULL, NULL},
        {CC_CFG_BOOL, "maybe", "is not a boolean (true/false, yes/no, on/off, 1/0)", "Yes", "true"},
        {CC_CFG_BOOL, "2", "is not a boolean", "off", "false"},
        {CC_CFG_PORT, "-1", "is not a port (1-65535)", "1", "1"},
        {CC_CFG_PORT_RANGE, "a-b", "is not a port range (LO-HI)", "5000-6000", "5000-6000"},
        {CC_CFG_LOG_LEVEL, "trace", "is not a log level", "ERROR", "error"},
        {CC_CFG_PATH, NULL, NULL, "/abs/olute", "/abs/olute"},
    };
    size_t n;
    const cc_cfg_key_t *keys = cc_config_keys(&n);
    s_clear_env();
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const cc_cfg_key_t *k = NULL;
        for (size_t i = 0; i < n && !k; i++)
            if (keys[i].type == cases[c].type)
                k = &keys[i];
        if (!k)
            continue;
        char text[256], err[512] = "";
        if (cases[c].bad) {
            snprintf(text, sizeof text, "[%s]\n%s = %s\n", k->section, k->key, cases[c].bad);
            cc_config_t *cfg = s_load_text(text, err, sizeof err, NULL);
            bool loaded = cfg != NULL;
            cc_config_destroy(&cfg);
            if (loaded || !strstr(err, cases[c].reason)) {
                cc_test_fail(__FILE__, __LINE__, "%s = %s: expected \"%s\", saw \"%s\"", k->key,
                             cases[c].bad, cases[c].reason, loaded ? "loaded" : err);
                return;
            }
        }
        if (cases[c].good) {
            snprintf(text, sizeof text, "[%s]\n%s = %s\n", k->section, k->key, cases[c].good);
            cc_config_t *cfg = s_load_text(text, err, sizeof err, NULL);
            CC_CHECK(cfg);
            char stored[256];
            snprintf(stored, sizeof stored, "%s", cc_config_str(cfg, k->section, k->key));
            cc_config_destroy(&cfg);
            CC_CHECK_STR(stored, cases[c].stored);
        }
    }
}

/* A config file holding a password is a secret file: open to every user it is refused,
 * naming the file and the fix; without a password its mode does not matter. */
CC_TEST(config_with_a_password_must_not_be_world_readable)
{
    char err[512] = "";
    s_clear_env();
    const char *path = s_write("[cdrd]\npg_password = \"s3cret-value\"\n");
    chmod(path, 0644);
    cc_config_t *cfg = cc_config_load(path, err, sizeof err);
    CC_CHECK(cfg == NULL);
    CC_CHECK(strstr(err, path) && strstr(err, "holds a password") && strstr(err, "mode 0644"));
    CC_CHECK(strstr(err, "s3cret") == NULL);
    chmod(path, 0640);
    cfg = cc_config_load(path, err, sizeof err);
    CC_CHECK(cfg != NULL);
    cc_config_destroy(&cfg);
    path = s_write("[cdrd]\npg_password = \"\"\n[common]\nsip_port = 5070\n");
    chmod(path, 0644);
    cfg = cc_config_load(path, err, sizeof err);
    CC_CHECK(cfg != NULL);
    cc_config_destroy(&cfg);
}
