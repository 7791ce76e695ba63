/*
 * Unit tests for common/prog/lines and feed: a client's MESSAGE '-', the
 * lines of standard input (here a memfd) one at a time, in place among the
 * operands, each --count times in a row; the bound on a line (an error
 * naming its number, never a line cut in two) and memory that stays one
 * line's worth however long the input.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "feed.h"
#include "lines.h"

TestSuite(feed, .timeout = 20);

/* A descriptor that reads len bytes of data, then the end. */
static int input(const void *data, size_t len)
{
    int fd = memfd_create("stdin", MFD_CLOEXEC);

    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, data, len), (ssize_t)len);
    cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

/* line as "[...]" at out + used, a NUL shown as "\\0"; the new length. */
static size_t show(char *out, size_t used, size_t cap, const char *line, size_t n)
{
    used += (size_t)snprintf(out + used, cap - used, "[");
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(out + used, cap - used, line[i] ? "%c" : "\\0", line[i]);
    return used + (size_t)snprintf(out + used, cap - used, "]");
}

/* The lines of text as "[a][b]", through a reader of lines up to max bytes; rc of the last call. */
static int read_all(struct sf_err *err, const char *text, size_t len, size_t max, char *out,
                    size_t cap)
{
    struct sf_lines l;
    const char *line;
    size_t n, used = 0;
    int fd = input(text, len), rc;

    cr_assert_eq(sf_lines_open(err, &l, fd, max), 0);
    out[0] = '\0';
    while ((rc = sf_lines_next(err, &l, &line, &n)) == 1)
        used = show(out, used, cap, line, n);
    cr_expect_eq(sf_lines_next(err, &l, &line, &n), rc, "the end, or the error, stays");
    sf_lines_close(&l);
    close(fd);
    return rc;
}

struct lines_case {
    const char *in;
    size_t len;
    const char *want;
};

static const struct lines_case cases[] = {
    {"a\nb\n", 4, "[a][b]"},
    {"a\nb", 3, "[a][b]"},                /* the last line without its newline is a line */
    {"", 0, ""},                          /* no input, no line */
    {"\n\na\n", 4, "[][][a]"},            /* empty lines are lines (feed decides) */
    {"x\r\n", 3, "[x\r]"},                /* only the newline goes: a CR is the line's */
    {"a\0b\nc\n", 6, "[a\\0b][c]"},       /* a NUL is a byte like another */
    {"12345\n123\n", 10, "[12345][123]"}, /* exactly the bound fits */
};

/* Lines are the bytes up to each newline, whatever they hold. */
Test(feed, lines_table)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[128];
        struct sf_err err;
        cr_expect_eq(read_all(&err, cases[i].in, cases[i].len, 5, out, sizeof(out)), 0, "case %zu",
                     i);
        cr_expect_str_eq(out, cases[i].want, "case %zu", i);
    }
}

/* A line over the bound is an error naming its number, after the lines before it. */
Test(feed, line_too_long_names_its_number)
{
    char out[128];
    struct sf_err err;

    cr_expect_eq(read_all(&err, "ok\nfine\n123456\nnever\n", 21, 5, out, sizeof(out)), -1);
    cr_expect_str_eq(out, "[ok][fine]");
    cr_expect_eq(err.kind, SF_ERR_INVALID);
    cr_expect_str_eq(err.msg, "standard input, line 3: longer than 5 bytes");
    /* The last line too, without its newline. */
    cr_expect_eq(read_all(&err, "a\n123456", 8, 5, out, sizeof(out)), -1);
    cr_expect_str_eq(err.msg, "standard input, line 2: longer than 5 bytes");
}

/* A line far longer than one read: still refused, whole, never handed out in pieces. */
Test(feed, line_longer_than_the_buffer_refused)
{
    size_t len = 300000;
    char *big = malloc(len), out[64];
    struct sf_err err;

    cr_assert_not_null(big);
    memset(big, 'x', len);
    cr_expect_eq(read_all(&err, big, len, 1000, out, sizeof(out)), -1);
    cr_expect_str_eq(out, "");
    cr_expect(strstr(err.msg, "line 1: longer than 1000 bytes"), "%s", err.msg);
    free(big);
}

/* 200000 lines over many reads: every one, in order, and the buffer never grows. */
Test(feed, many_lines_one_buffer)
{
    size_t n = 200000, len = 0;
    char *text = malloc(n * 8);
    struct sf_lines l;
    struct sf_err err;
    const char *line;
    size_t got, cap;

    cr_assert_not_null(text);
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, "%zu\n", i);
    int fd = input(text, len);
    cr_assert_eq(sf_lines_open(&err, &l, fd, 100), 0);
    cap = l.cap;
    for (size_t i = 0; i < n; i++) {
        char want[16];
        snprintf(want, sizeof(want), "%zu", i);
        cr_assert_eq(sf_lines_next(&err, &l, &line, &got), 1, "line %zu", i + 1);
        cr_assert(got == strlen(want) && memcmp(line, want, got) == 0, "line %zu", i + 1);
    }
    cr_expect_eq(sf_lines_next(&err, &l, &line, &got), 0);
    cr_expect_eq(l.cap, cap);
    cr_expect_eq(l.lineno, n);
    sf_lines_close(&l);
    close(fd);
    free(text);
}

/* The messages a feed hands out, as "a,b,", until it says done; its last ready's result. */
static int drain(struct sf_feed *f, const struct sf_burst *b, char *out, size_t cap)
{
    size_t used = 0;

    out[0] = '\0';
    while (sf_feed_ready(f, b)) {
        const struct sf_message *m = sf_feed_take(f);
        used += (size_t)snprintf(out + used, cap - used, "%.*s,", (int)m->len, m->data);
    }
    return f->failed ? -1 : 0;
}

/* A feed over operands ops (one of them "-") and stdin text. */
static int open_feed(struct sf_feed *f, struct sf_messages *m, const char *const *ops, size_t n,
                     const char *text, uint64_t count, size_t max, int allow_empty)
{
    int at = -1, fd = input(text, strlen(text));
    struct sf_err err;

    m->v = calloc(n, sizeof(*m->v));
    m->n = n;
    m->payload = NULL;
    cr_assert_not_null(m->v);
    for (size_t i = 0; i < n; i++) {
        m->v[i] = (struct sf_message){ops[i], strlen(ops[i])};
        if (strcmp(ops[i], "-") == 0)
            at = (int)i;
    }
    cr_assert_eq(sf_feed_open(&err, f, m, at, count, fd, max, allow_empty), 0);
    return fd;
}

struct feed_case {
    const char *ops[4];
    size_t nops;
    const char *in;
    uint64_t count;
    int allow_empty;
    const char *want;
    uint64_t given;
};

static const struct feed_case feeds[] = {
    {{"-"}, 1, "a\nb\n", 1, 0, "a,b,", 2},
    {{"one", "-", "two"}, 3, "x\ny\n", 1, 0, "one,x,y,two,", 4}, /* '-' in place */
    {{"one", "-"}, 2, "x\ny\n", 2, 0, "one,one,x,x,y,y,", 3},    /* each N times in a row */
    {{"-"}, 1, "a\n\nb\n", 1, 0, "a,b,", 2},                     /* a stream skips an empty line */
    {{"-"}, 1, "a\n\nb\n", 1, 1, "a,,b,", 3},                    /* records send it */
    {{"-", "after"}, 2, "", 1, 0, "after,", 1},                  /* no input: the operands alone */
    {{"-"}, 1, "", 3, 0, "", 0},                                 /* nothing at all */
};

/* The messages in order: operands, lines in place of '-', each --count times in a row. */
Test(feed, order_table)
{
    for (size_t i = 0; i < sizeof(feeds) / sizeof(feeds[0]); i++) {
        const struct feed_case *c = &feeds[i];
        struct sf_feed f;
        struct sf_messages m;
        char out[128];
        int fd = open_feed(&f, &m, c->ops, c->nops, c->in, c->count, 100, c->allow_empty);

        cr_expect(f.on);
        cr_expect_eq(drain(&f, NULL, out, sizeof(out)), 0, "case %zu: %s", i, f.err.msg);
        cr_expect_str_eq(out, c->want, "case %zu", i);
        cr_expect_eq(f.given, c->given, "case %zu", i);
        sf_feed_close(&f);
        close(fd);
        free(m.v);
    }
}

/* A line too long ends the feed after the messages before it; the operands after it never go. */
Test(feed, line_too_long_ends_the_messages)
{
    static const char *const ops[] = {"first", "-", "never"};
    struct sf_feed f;
    struct sf_messages m;
    char out[128];
    int fd = open_feed(&f, &m, ops, 3, "ok\n0123456789\nlater\n", 1, 5, 0);

    cr_expect_eq(drain(&f, NULL, out, sizeof(out)), -1);
    cr_expect_str_eq(out, "first,ok,");
    cr_expect_str_eq(f.err.msg, "standard input, line 2: longer than 5 bytes");
    cr_expect_eq(sf_feed_ready(&f, NULL), 0, "and stays ended");
    sf_feed_close(&f);
    close(fd);
    free(m.v);
}

/* No '-': the feed stays off, reads nothing, and the client plans as before. */
Test(feed, without_dash_off)
{
    struct sf_feed f;
    struct sf_messages m = {0};
    struct sf_err err;

    cr_expect_eq(sf_feed_open(&err, &f, &m, -1, 1, 0, 100, 0), 0);
    cr_expect_not(f.on);
    sf_feed_close(&f);
}

/* A line past what a burst holds ends the input, with a line that says so. */
Test(feed, burst_full_ends_the_input)
{
    static const char *const ops[] = {"-"};
    struct sf_feed f;
    struct sf_messages m;
    struct sf_burst b = {0};
    char out[64];
    int fd = open_feed(&f, &m, ops, 1, "a\nb\n", 1, 5, 0);

    b.n = SF_BURST_MAX_MSGS - 1;
    cr_assert(sf_feed_ready(&f, &b));
    sf_feed_take(&f);
    b.n++; /* the burst sent it */
    cr_expect_eq(drain(&f, &b, out, sizeof(out)), -1);
    cr_expect_str_eq(out, "");
    cr_expect(strstr(f.err.msg, "standard input, line 2: more than --burst holds"), "%s",
              f.err.msg);
    sf_feed_close(&f);
    close(fd);
    free(m.v);
}

/* A closed standard input is refused at the start: its number may be the next socket's. */
Test(feed, closed_input_refused)
{
    struct sf_lines l;
    struct sf_err err;
    int fd = input("a\n", 2);

    close(fd);
    cr_expect_eq(sf_lines_open(&err, &l, fd, 10), -1);
    cr_expect_eq(err.kind, SF_ERR_SYS);
    cr_expect_str_eq(err.msg, "standard input is closed (MESSAGE '-' reads it)");
}
