/* lines: bounded lines of standard input, one at a time; see lines.h. */
#include "lines.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What one read() asks for beyond the longest line. */
#define READ_AHEAD 65536

int sf_lines_open(struct sf_err *err, struct sf_lines *l, int fd, size_t max)
{
    memset(l, 0, sizeof(*l));
    /* A closed stdin's number would go to the next socket opened, to be read as if it were. */
    if (fcntl(fd, F_GETFL) < 0)
        return sf_err_set(err, SF_ERR_SYS, errno, NULL,
                          "standard input is closed (MESSAGE '-' reads it)");
    l->fd = fd;
    l->max = max;
    l->cap = max + 1 + READ_AHEAD;
    l->buf = malloc(l->cap);
    if (!l->buf)
        return sf_err_sys(err, ENOMEM, "malloc", "standard input");
    return 0;
}

void sf_lines_close(struct sf_lines *l)
{
    free(l->buf);
    l->buf = NULL;
}

/* Hand out buf[start, start + n) as the next line, skipping the n + skip bytes. */
static int give(struct sf_lines *l, const char **line, size_t *len, size_t n, size_t skip)
{
    *line = l->buf + l->start;
    *len = n;
    l->start += n + skip;
    l->lineno++;
    return 1;
}

/* Read more after what is left (moved to the front).  0, or -1 with err; l->eof at the end. */
static int fill(struct sf_err *err, struct sf_lines *l)
{
    ssize_t n;

    memmove(l->buf, l->buf + l->start, l->end - l->start);
    l->end -= l->start;
    l->start = 0;
    do
        n = read(l->fd, l->buf + l->end, l->cap - l->end);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return sf_err_sys(err, errno, "read", "standard input");
    if (n == 0)
        l->eof = 1;
    l->end += (size_t)n;
    return 0;
}

int sf_lines_next(struct sf_err *err, struct sf_lines *l, const char **line, size_t *len)
{
    for (;;) {
        size_t have = l->end - l->start;
        const char *nl = memchr(l->buf + l->start, '\n', have);
        size_t n = nl ? (size_t)(nl - (l->buf + l->start)) : have;

        /* Checked before anything is handed out: a long line is never split in two. */
        if (n > l->max)
            return sf_err_set(err, SF_ERR_INVALID, 0, NULL,
                              "standard input, line %llu: longer than %zu bytes",
                              (unsigned long long)l->lineno + 1, l->max);
        if (nl)
            return give(l, line, len, n, 1);
        if (l->eof)
            return have ? give(l, line, len, n, 0) : 0;
        if (fill(err, l) < 0)
            return -1;
    }
}
