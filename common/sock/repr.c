/* repr: Python 2 style quoting of untrusted bytes; see repr.h. */
#include "repr.h"

#include <stdio.h>
#include <string.h>

static size_t put(char *out, size_t cap, size_t at, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++, at++)
        if (at + 1 < cap)
            out[at] = s[i];
    return at;
}

/* Append the escaped form of one byte c (with `quote` as the active quote). */
static size_t put_byte(char *out, size_t cap, size_t at, unsigned char c, char quote)
{
    char esc[5];

    if ((quote && c == (unsigned char)quote) || c == '\\') {
        esc[0] = '\\';
        esc[1] = (char)c;
        return put(out, cap, at, esc, 2);
    }
    if (c == '\t' || c == '\n' || c == '\r') {
        esc[0] = '\\';
        esc[1] = c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
        return put(out, cap, at, esc, 2);
    }
    if (c < 0x20 || c >= 0x7f) {
        snprintf(esc, sizeof(esc), "\\x%02x", c);
        return put(out, cap, at, esc, 4);
    }
    esc[0] = (char)c;
    return put(out, cap, at, esc, 1);
}

static size_t quote_body(const unsigned char *p, size_t len, char *out, size_t cap, size_t at,
                         char quote)
{
    for (size_t i = 0; i < len; i++)
        at = put_byte(out, cap, at, p[i], quote);
    return at;
}

size_t sf_repr(const void *data, size_t len, char *out, size_t cap)
{
    const unsigned char *p = data;
    char quote = '\'';
    size_t at;

    /* Python 2 switches to double quotes only for ' without ". */
    if (len && memchr(p, '\'', len) && !memchr(p, '"', len))
        quote = '"';
    at = put(out, cap, 0, &quote, 1);
    at = quote_body(p, len, out, cap, at, quote);
    at = put(out, cap, at, &quote, 1);
    if (cap)
        out[at < cap ? at : cap - 1] = '\0';
    return at;
}

size_t sf_escape(const void *data, size_t len, char *out, size_t cap)
{
    size_t at = quote_body(data, len, out, cap, 0, '\0');

    if (cap)
        out[at < cap ? at : cap - 1] = '\0';
    return at;
}
