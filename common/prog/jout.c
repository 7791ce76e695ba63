/* jout: JSON output through jansson; see jout.h. */
#include "jout.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0 (RFC 3629). */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    size_t len;
    unsigned cp;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        len = 2, cp = p[0] & 0x1f;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        len = 3, cp = p[0] & 0x0f;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        len = 4, cp = p[0] & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    /* Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8. */
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

json_t *sf_jstr(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n, out = 0;
    char *buf;
    json_t *v;

    if (!s)
        return json_null();
    n = strlen(s);
    buf = malloc(3 * n + 1); /* each bad byte becomes the 3 bytes of U+FFFD */
    if (!buf)
        return NULL;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_seq(p + i, n - i);
        if (len) {
            memcpy(buf + out, p + i, len);
            out += len, i += len;
        } else {
            memcpy(buf + out, "\xef\xbf\xbd", 3);
            out += 3, i++;
        }
    }
    v = json_stringn(buf, out);
    free(buf);
    return v;
}

json_t *sf_jreal(double v, int decimals)
{
    double scale = pow(10, decimals < 0 ? 0 : decimals > 9 ? 9 : decimals);

    if (!isfinite(v))
        return json_null(); /* JSON has no NaN or infinity */
    return json_real(round(v * scale) / scale);
}

json_t *sf_juint(uint64_t v)
{
    return json_integer((json_int_t)(v > INT64_MAX ? INT64_MAX : v));
}

int sf_jout_print(FILE *f, json_t *v)
{
    /* 15 significant digits print a rounded value exactly ("2.345", not "2.3450000000000002"). */
    int rc = v ? json_dumpf(v, f, JSON_COMPACT | JSON_REAL_PRECISION(15)) : -1;

    json_decref(v);
    if (rc == 0 && fputc('\n', f) == EOF)
        rc = -1;
    return rc;
}
