/* feed: the messages with '-' read from standard input in place; see feed.h. */
#include "feed.h"

#include <string.h>

int sf_feed_open(struct sf_err *err, struct sf_feed *f, const struct sf_messages *msgs,
                 int stdin_at, uint64_t count, int fd, size_t line_max, int allow_empty)
{
    memset(f, 0, sizeof(*f));
    if (stdin_at < 0)
        return 0;
    if (sf_lines_open(err, &f->lines, fd, line_max) < 0)
        return -1;
    f->on = 1;
    f->msgs = msgs;
    f->stdin_at = (size_t)stdin_at;
    f->count = count;
    f->allow_empty = allow_empty;
    return 0;
}

void sf_feed_close(struct sf_feed *f)
{
    if (f->on)
        sf_lines_close(&f->lines);
    f->on = 0;
}

/* The next line of standard input into f->cur: 1, 0 at its end, -1 (f->err). */
static int take_line(struct sf_feed *f)
{
    const char *line;
    size_t len;
    int rc;

    do
        rc = sf_lines_next(&f->err, &f->lines, &line, &len);
    while (rc > 0 && len == 0 && !f->allow_empty); /* sending nothing sends nothing */
    if (rc > 0) {
        f->cur = (struct sf_message){line, len};
        f->cur_is_line = 1;
    }
    return rc;
}

/* The next message of the list into f->cur: 1, 0 at the end, -1 (f->err). */
static int take(struct sf_feed *f)
{
    for (;;) {
        if (f->reading) {
            int rc = take_line(f);
            if (rc != 0)
                return rc;
            f->reading = 0; /* the end of standard input: on with the operands after '-' */
        }
        if (f->next == f->msgs->n)
            return 0;
        if (f->next == f->stdin_at) {
            f->next++;
            f->reading = 1;
            continue;
        }
        f->cur = f->msgs->v[f->next++];
        f->cur_is_line = 0;
        return 1;
    }
}

/* A line that does not fit the burst under way: 1, with f->err saying so. */
static int burst_full(struct sf_feed *f, const struct sf_burst *b)
{
    if (!b || !f->cur_is_line ||
        (b->n < SF_BURST_MAX_MSGS && f->cur.len <= SF_BURST_MAX_BYTES - b->bytes))
        return 0;
    sf_err_set(&f->err, SF_ERR_INVALID, 0, NULL,
               "standard input, line %llu: more than --burst holds at once (%d messages, %u MiB)",
               (unsigned long long)f->lines.lineno, SF_BURST_MAX_MSGS, SF_BURST_MAX_BYTES >> 20);
    return 1;
}

int sf_feed_ready(struct sf_feed *f, const struct sf_burst *burst)
{
    int rc;

    if (f->failed)
        return 0;
    if (f->left == 0) {
        rc = take(f);
        if (rc < 0)
            f->failed = 1;
        if (rc <= 0)
            return 0;
        f->left = f->count;
        f->given++;
    }
    f->failed = burst_full(f, burst);
    return !f->failed;
}

const struct sf_message *sf_feed_take(struct sf_feed *f)
{
    f->left--;
    return &f->cur;
}
