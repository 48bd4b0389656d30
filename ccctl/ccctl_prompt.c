/* ccctl_prompt.c - `ccctl prompt upload NAME FILE.wav [--language LANG]`: a custom greeting
 * or music on hold into mediad's prompt directory ([mediad] prompt_dir, else
 * <var_dir>/prompts), converted to the prompt format by ccctl_wav.c (speexdsp). Written
 * beside the target and renamed, so mediad never reads half a file; mediad notices the new
 * modification time and loads the new audio on the next play. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ccctl.h"
#include "ccctl_wav.h"

#define S_MAX_INPUT (512u << 20)

void ccctl_prompt_usage(FILE *out)
{
    fputs("usage: ccctl prompt upload NAME FILE.wav [--language LANG]\n"
          "  Any PCM or float WAV (8-32 bit, 1-8 channels, 4-192 kHz) becomes the prompt NAME:\n"
          "  mixed to mono and resampled to 8 kHz with speexdsp, written to\n"
          "  <prompt_dir>/LANG/NAME.wav, or <prompt_dir>/NAME.wav (every language) without\n"
          "  --language. NAME: segments of letters, digits, '_' and '-' joined by '/'\n"
          "  (moh/sales, greeting). Use it as a queue's or an extension's music on hold\n"
          "  (ccctl queue moh, ccctl user moh) or in an IVR flow. Calls pick up a replaced\n"
          "  file on their next play.\n",
          out);
}

static bool s_word_ok(const char *s, size_t n)
{
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", s[i]))
            return false;
    return true;
}

static bool s_name_ok(const char *name)
{
    if (strlen(name) > 120)
        return false;
    for (const char *seg = name;;) {
        const char *slash = strchr(seg, '/');
        size_t n = slash ? (size_t)(slash - seg) : strlen(seg);
        if (!s_word_ok(seg, n))
            return false;
        if (!slash)
            return true;
        seg = slash + 1;
    }
}

static int s_read(const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    struct stat st;
    int rc = -1;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size <= S_MAX_INPUT &&
        (*buf = malloc((size_t)st.st_size + 1)) != NULL) {
        *len = fread(*buf, 1, (size_t)st.st_size, f);
        rc = ferror(f) ? -1 : 0;
        if (rc != 0)
            free(*buf);
    } else if (errno == 0) {
        errno = EFBIG;
    }
    fclose(f);
    return rc;
}

/* mkdir -p for the directories of path (not its last segment). */
static int s_make_dirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0755);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

static int s_write(const char *path, const uint8_t *data, size_t len)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.part-%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    int rc = done == len && fsync(fd) == 0 ? 0 : -1;
    if (close(fd) != 0 || rc != 0 || rename(tmp, path) != 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return 0;
}

static int s_upload(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_opt_t opts[] = {{"--language", true}};
    ccctl_args_t args;
    int rc = ccctl_parse(&args, argc, argv, opts, 1, 2, 2, "NAME FILE", ccctl_prompt_usage);
    if (rc != 0)
        return rc;
    const char *name = args.pos[0], *file = args.pos[1], *lang = ccctl_arg(&args, "--language");
    if (!s_name_ok(name))
        return ccctl_fail(CCCTL_EXIT_USAGE,
                          "bad NAME '%s': segments of letters, digits, '_' and '-' joined by '/'",
                          name);
    if (lang && !s_word_ok(lang, strlen(lang)))
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad --language '%s': letters, digits, '_' or '-'",
                          lang);
    cc_config_t *cfg = ccctl_config(ctx);
    if (!cfg)
        return CCCTL_EXIT_USAGE;
    uint8_t *in = NULL, *out = NULL;
    size_t inlen = 0, outlen = 0;
    double seconds = 0;
    char err[160];
    if (s_read(file, &in, &inlen) != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad FILE '%s': %s", file, strerror(errno));
    rc = ccctl_wav_to_prompt(in, inlen, &out, &outlen, &seconds, err, sizeof err);
    free(in);
    if (rc != 0)
        return ccctl_fail(CCCTL_EXIT_USAGE, "bad FILE '%s': %s", file, err);
    const char *dir = cc_config_str(cfg, "mediad", "prompt_dir");
    char base[4096], path[4096];
    if (dir && dir[0])
        snprintf(base, sizeof base, "%s", dir);
    else
        snprintf(base, sizeof base, "%s/prompts", cc_config_var_dir(cfg));
    int n = lang ? snprintf(path, sizeof path, "%s/%s/%s.wav", base, lang, name)
                 : snprintf(path, sizeof path, "%s/%s.wav", base, name);
    if (n < 0 || (size_t)n >= sizeof path - 32)
        rc = ccctl_fail(CCCTL_EXIT_USAGE, "prompt path too long");
    else if (s_make_dirs(path) != 0 || s_write(path, out, outlen) != 0)
        rc = ccctl_fail(CCCTL_EXIT_REFUSED, "writing %s failed: %s", path, strerror(errno));
    else
        printf("prompt %s%s%s: %.2f s at 8 kHz mono in %s\n", name, lang ? " language " : "",
               lang ? lang : "", seconds, path);
    free(out);
    return rc;
}

int ccctl_prompt_main(ccctl_t *ctx, int argc, char **argv)
{
    static const ccctl_sub_t subs[] = {{"upload", s_upload}, {NULL, NULL}};
    return ccctl_dispatch(ctx, argc, argv, subs, ccctl_prompt_usage);
}
