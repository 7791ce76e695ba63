/* num: numbers from text; see num.h. */
#include "num.h"

#include <string.h>

int sf_parse_u64(struct sf_err *err, const char *what, const char *text, uint64_t min, uint64_t max,
                 uint64_t *out)
{
    uint64_t v = 0;
    const char *p = text;

    if (!text || !*text)
        return sf_err_set(err, SF_ERR_INVALID, 0, NULL, "%s: empty value", what);
    for (; *p; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (d > 9)
            goto bad;
        if (v > (UINT64_MAX - d) / 10)
            goto bad;
        v = v * 10 + d;
    }
    if (v < min || v > max)
        goto bad;
    *out = v;
    return 0;
bad:
    return sf_err_set(err, SF_ERR_INVALID, 0, NULL, "invalid %s '%.40s%s' (expected %llu-%llu)",
                      what, text, strlen(text) > 40 ? "..." : "", (unsigned long long)min,
                      (unsigned long long)max);
}

int sf_parse_seconds(struct sf_err *err, const char *what, const char *text, int64_t max_ms,
                     int64_t *out_ms)
{
    int64_t ms = 0;
    int digits = 0, frac = -1;
    const char *p = text;

    if (!text)
        goto bad;
    for (; *p; p++) {
        if (*p == '.' && frac < 0) {
            frac = 0;
            continue;
        }
        if (*p < '0' || *p > '9' || frac >= 3)
            goto bad;
        if (frac >= 0)
            frac++;
        ms = ms * 10 + (*p - '0');
        digits++;
        if (ms > max_ms * 1000)
            goto bad;
    }
    if (digits == 0)
        goto bad;
    for (frac = frac < 0 ? 0 : frac; frac < 3; frac++)
        ms *= 10;
    if (ms > max_ms)
        goto bad;
    *out_ms = ms;
    return 0;
bad:
    return sf_err_set(err, SF_ERR_INVALID, 0, NULL,
                      "invalid %s '%.40s%s' (expected seconds, 0-%lld, e.g. 2 or 0.5)", what,
                      text ? text : "", text && strlen(text) > 40 ? "..." : "",
                      (long long)(max_ms / 1000));
}
