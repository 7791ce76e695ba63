/* json: a strict, bounded JSON reader; see json.h. */
#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32

struct cur {
    const char *p, *end;
    int depth;
    const char *why;
};

static int fail(struct cur *c, const char *why)
{
    if (!c->why)
        c->why = why;
    return -1;
}

static void ws(struct cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int lit(struct cur *c, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return fail(c, "unexpected character");
    c->p += n;
    return 0;
}

static int hex4(const char *p, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char h = p[i];
        unsigned d = h >= '0' && h <= '9'   ? (unsigned)(h - '0')
                     : h >= 'a' && h <= 'f' ? (unsigned)(h - 'a' + 10)
                     : h >= 'A' && h <= 'F' ? (unsigned)(h - 'A' + 10)
                                            : 16u;
        if (d == 16)
            return -1;
        *v = *v << 4 | d;
    }
    return 0;
}

static int string(struct cur *c, struct sf_json_val *out)
{
    const char *start = ++c->p;
    unsigned v;

    while (c->p < c->end && *c->p != '"') {
        if ((unsigned char)*c->p < 0x20)
            return fail(c, "control character in a string");
        if (*c->p == '\\') {
            if (c->end - c->p < 2)
                return fail(c, "unterminated string");
            if (c->p[1] == 'u') {
                if (c->end - c->p < 6 || hex4(c->p + 2, &v) < 0)
                    return fail(c, "bad \\u escape");
                c->p += 6;
                continue;
            }
            if (c->p[1] == '\0' || !strchr("\"\\/bfnrt", c->p[1])) /* strchr finds the NUL */
                return fail(c, "bad escape");
            c->p++;
        }
        c->p++;
    }
    if (c->p >= c->end)
        return fail(c, "unterminated string");
    if (out) {
        out->type = SF_JSON_STRING;
        out->start = start;
        out->len = (size_t)(c->p - start);
    }
    c->p++;
    return 0;
}

static int digits(struct cur *c)
{
    const char *s = c->p;

    while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
        c->p++;
    return c->p > s ? 0 : fail(c, "bad number");
}

/*
 * A number, read into a double.  Its text is bounded (NUMBER_MAX) whether
 * or not the value is wanted, so that sf_json_check() and sf_json_get()
 * always agree on what is valid: a reader that accepted a text and then
 * failed to read one of its values handed back an unset value (found by
 * MemorySanitizer, fuzz/fuzz_json.c).
 */
#define NUMBER_MAX 512

static int number(struct cur *c, struct sf_json_val *out)
{
    const char *s = c->p;
    char buf[NUMBER_MAX];

    if (c->p < c->end && *c->p == '-')
        c->p++;
    if (c->p < c->end && *c->p == '0')
        c->p++;
    else if (digits(c) < 0)
        return -1;
    if (c->p < c->end && *c->p == '.' && (c->p++, digits(c) < 0))
        return -1;
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        if (digits(c) < 0)
            return -1;
    }
    size_t n = (size_t)(c->p - s);
    if (n >= sizeof(buf))
        return fail(c, "number too long");
    if (out) {
        memcpy(buf, s, n);
        buf[n] = '\0';
        out->type = SF_JSON_NUMBER;
        out->num = strtod(buf, NULL);
        out->start = s;
        out->len = n;
    }
    return 0;
}

static int value(struct cur *c, struct sf_json_val *out);

/* An object or array; each member's value goes through value(). */
static int container(struct cur *c, struct sf_json_val *out, char close)
{
    const char *start = c->p++;
    size_t count = 0;

    if (++c->depth > MAX_DEPTH)
        return fail(c, "nested too deep");
    ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
    } else {
        for (;;) {
            ws(c);
            if (close == '}') {
                if (c->p >= c->end || *c->p != '"')
                    return fail(c, "expected a member name");
                if (string(c, NULL) < 0)
                    return -1;
                ws(c);
                if (c->p >= c->end || *c->p++ != ':')
                    return fail(c, "expected ':'");
            }
            if (value(c, NULL) < 0)
                return -1;
            count++;
            ws(c);
            if (c->p < c->end && *c->p == ',') {
                c->p++;
                continue;
            }
            if (c->p < c->end && *c->p == close) {
                c->p++;
                break;
            }
            return fail(c, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    c->depth--;
    if (out) {
        out->type = close == '}' ? SF_JSON_OBJECT : SF_JSON_ARRAY;
        out->start = start;
        out->len = (size_t)(c->p - start);
        out->count = count;
    }
    return 0;
}

static int value(struct cur *c, struct sf_json_val *out)
{
    struct sf_json_val v = {.type = SF_JSON_NULL};
    int rc;

    ws(c);
    if (c->p >= c->end)
        return fail(c, "unexpected end");
    v.start = c->p;
    switch (*c->p) {
    case '{':
        return container(c, out, '}');
    case '[':
        return container(c, out, ']');
    case '"':
        return string(c, out);
    case 't':
        rc = lit(c, "true");
        v.type = SF_JSON_BOOL, v.num = 1;
        break;
    case 'f':
        rc = lit(c, "false");
        v.type = SF_JSON_BOOL;
        break;
    case 'n':
        rc = lit(c, "null");
        break;
    default:
        return number(c, out);
    }
    v.len = (size_t)(c->p - v.start);
    if (rc == 0 && out)
        *out = v;
    return rc;
}

int sf_json_check(const char *text, size_t len, const char **why)
{
    struct cur c = {text, text + len, 0, NULL};

    if (value(&c, NULL) == 0) {
        ws(&c);
        if (c.p == c.end)
            return 0;
        fail(&c, "text after the value");
    }
    if (why)
        *why = c.why;
    return -1;
}

/* The next path segment: its length, and where the rest starts. */
static size_t segment(const char *path, const char **rest)
{
    const char *dot = strchr(path, '.');
    size_t n = dot ? (size_t)(dot - path) : strlen(path);

    *rest = dot ? dot + 1 : NULL;
    return n;
}

/* Within the container v, the member named by seg (n bytes): its value, 1; 0 absent; -1 bad. */
static int member(const struct sf_json_val *v, const char *seg, size_t n, struct sf_json_val *out)
{
    struct cur c = {v->start + 1, v->start + v->len, 0, NULL};
    char *endp;
    unsigned long index = 0;

    if (v->type == SF_JSON_ARRAY) {
        index = strtoul(seg, &endp, 10);
        if (n == 0 || endp != seg + n)
            return 0;
    }
    for (size_t i = 0; i < v->count; i++) {
        /* Every field set: a string or a number leaves count (and num) as they start. */
        struct sf_json_val key = {.len = 0}, got = {.type = SF_JSON_NULL};
        ws(&c);
        if (v->type == SF_JSON_OBJECT) {
            if (string(&c, &key) < 0)
                return -1;
            ws(&c);
            c.p++; /* ':' (checked already) */
        }
        /* Checked already too; a failure here is a reader bug, never an unset value handed out. */
        if (value(&c, &got) < 0)
            return -1;
        if (v->type == SF_JSON_OBJECT ? key.len == n && memcmp(key.start, seg, n) == 0
                                      : i == index) {
            *out = got; /* out may be v itself */
            return 1;
        }
        ws(&c);
        c.p++; /* ',' */
    }
    return 0;
}

int sf_json_get(const char *text, size_t len, const char *path, struct sf_json_val *out)
{
    struct cur c = {text, text + len, 0, NULL};
    struct sf_json_val v = {.type = SF_JSON_NULL};

    if (sf_json_check(text, len, NULL) < 0 || value(&c, &v) < 0)
        return -1;
    while (path && *path) {
        const char *rest;
        size_t n = segment(path, &rest);
        int found;
        if (v.type != SF_JSON_OBJECT && v.type != SF_JSON_ARRAY)
            return 0;
        found = member(&v, path, n, &v);
        if (found <= 0)
            return found;
        path = rest;
    }
    *out = v;
    return 1;
}

static size_t put_utf8(unsigned cp, char *b)
{
    if (cp < 0x80)
        return b[0] = (char)cp, 1;
    if (cp < 0x800)
        return b[0] = (char)(0xc0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3f)), 2;
    if (cp < 0x10000)
        return b[0] = (char)(0xe0 | cp >> 12), b[1] = (char)(0x80 | (cp >> 6 & 0x3f)),
               b[2] = (char)(0x80 | (cp & 0x3f)), 3;
    return b[0] = (char)(0xf0 | cp >> 18), b[1] = (char)(0x80 | (cp >> 12 & 0x3f)),
           b[2] = (char)(0x80 | (cp >> 6 & 0x3f)), b[3] = (char)(0x80 | (cp & 0x3f)), 4;
}

/* The byte a one-letter escape stands for (\" \\ \/ stand for themselves). */
static char unescaped(char e)
{
    switch (e) {
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    default:
        return e;
    }
}

size_t sf_json_unescape(const struct sf_json_val *v, char *buf, size_t cap)
{
    size_t at = 0;

    for (size_t i = 0; i < v->len; i++) {
        char tmp[4];
        size_t n = 1;
        unsigned cp, lo;
        tmp[0] = v->start[i];
        if (v->start[i] == '\\' && i + 1 < v->len) {
            char e = v->start[++i];
            tmp[0] = unescaped(e);
            if (e == 'u' && i + 4 < v->len + 0 && hex4(v->start + i + 1, &cp) == 0) {
                i += 4;
                if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < v->len && v->start[i + 1] == '\\' &&
                    v->start[i + 2] == 'u' && hex4(v->start + i + 3, &lo) == 0 && lo >= 0xdc00 &&
                    lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    i += 6;
                }
                n = put_utf8(cp, tmp);
            }
        }
        for (size_t k = 0; k < n; k++, at++)
            if (at + 1 < cap)
                buf[at] = tmp[k];
    }
    if (cap)
        buf[at < cap ? at : cap - 1] = '\0';
    return at;
}
