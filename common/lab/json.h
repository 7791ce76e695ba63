/*
 * json: a small, strict reader for the one-line JSON objects the suite's
 * programs print (a client's summary, the runner's report), so the runner
 * and the tests read them without another dependency.
 *
 * It checks RFC 8259 syntax (nesting bounded at 32) and looks values up by
 * a dotted path: "rtt_us.p50", "families.2.name".  Input is untrusted and
 * never read past len; nothing is allocated.
 */
#ifndef SF_JSON_H
#define SF_JSON_H

#include <stddef.h>

enum sf_json_type {
    SF_JSON_NULL,
    SF_JSON_BOOL,
    SF_JSON_NUMBER,
    SF_JSON_STRING,
    SF_JSON_OBJECT,
    SF_JSON_ARRAY
};

struct sf_json_val {
    enum sf_json_type type;
    double num;        /* NUMBER; BOOL as 0 or 1 */
    const char *start; /* the value's text; for STRING the bytes inside the quotes */
    size_t len;
    size_t count; /* OBJECT members, ARRAY elements */
};

/* Is text exactly one JSON value (whitespace around allowed)?  0, or -1 with *why set. */
int sf_json_check(const char *text, size_t len, const char **why);

/* Look path up in text: 1 found (*out set), 0 absent, -1 malformed text. */
int sf_json_get(const char *text, size_t len, const char *path, struct sf_json_val *out);

/*
 * A STRING value with its escapes decoded (\uXXXX to UTF-8, surrogate
 * pairs joined), written like snprintf: at most cap bytes with the NUL;
 * returns the length needed.
 */
size_t sf_json_unescape(const struct sf_json_val *v, char *buf, size_t cap);

#endif
