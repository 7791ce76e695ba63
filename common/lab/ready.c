/* ready: start a server and read its readiness line; see ready.h. */
#include "ready.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "io.h"

/* The port of "HOST:PORT" or "[V6]:PORT": digits after the last ':', 1-65535; else 0. */
static int addr_port(const char *addr)
{
    const char *colon = strrchr(addr, ':');
    long port = 0;

    if (!colon || addr[0] == '/' || addr[0] == '@' || !colon[1])
        return 0;
    if (addr[0] == '[' ? colon[-1] != ']' : memchr(addr, ':', (size_t)(colon - addr)) != NULL)
        return 0; /* a bare IPv6 address has colons but no port */
    for (const char *p = colon + 1; *p; p++) {
        if (*p < '0' || *p > '9' || port > 65535)
            return 0;
        port = port * 10 + (*p - '0');
    }
    return port <= 65535 ? (int)port : 0;
}

int sf_ready_parse(const char *text, size_t len, struct sf_ready *r)
{
    const size_t n = strlen(SF_READY_LINE);
    const char *line = memmem(text, len, SF_READY_LINE, n);
    const char *start = line ? line + n : NULL;
    const char *nl = start ? memchr(start, '\n', len - (size_t)(start - text)) : NULL;

    if (!nl)
        return 0;
    if ((size_t)(nl - start) >= sizeof(r->addr))
        return -1;
    memcpy(r->addr, start, (size_t)(nl - start));
    r->addr[nl - start] = '\0';
    r->port = addr_port(r->addr);
    return 1;
}

int sf_ready_poll(struct sf_err *err, struct sf_task *t, struct sf_ready *r)
{
    char last[256];
    int rc;

    sf_task_pump(t);
    rc = sf_ready_parse(t->err, t->err_len, r);
    if (rc < 0)
        return sf_err_set(err, SF_ERR_PEER, 0, NULL, "%s: readiness line too long", t->name);
    if (rc > 0)
        return 1;
    if (!t->started || t->exited)
        return sf_err_set(err, SF_ERR_PEER, 0, NULL, "%s exited %d: %s", t->name, t->status,
                          sf_task_last_line(t, last, sizeof(last)));
    return 0;
}

int sf_ready_wait(struct sf_err *err, struct sf_task *t, int64_t deadline, struct sf_ready *r)
{
    int64_t start = sf_now_ns();
    struct pollfd pf[3];

    for (;;) {
        int rc = sf_ready_poll(err, t, r);
        if (rc != 0)
            return rc > 0 ? 0 : -1;
        int n = sf_task_fds(t, pf);
        if (sf_now_ns() >= deadline)
            return sf_err_set(err, SF_ERR_TIMEOUT, ETIMEDOUT, NULL,
                              "%s printed no readiness line in %lld ms", t->name,
                              (long long)((deadline - start) / 1000000));
        /* Without a pidfd (before Linux 5.3) an exit after both pipes closed wakes nobody. */
        int ms = n > 0 ? sf_deadline_poll_ms(deadline) : 10;
        if (poll(n > 0 ? pf : NULL, (nfds_t)n, ms) < 0 && errno != EINTR)
            return sf_err_sys(err, errno, "poll", t->name);
    }
}

int sf_ready_start(struct sf_err *err, struct sf_task *t, const char *bin_dir,
                   const char *const argv[], int64_t deadline, struct sf_ready *r)
{
    if (sf_task_start(err, t, bin_dir, argv) < 0)
        return -1;
    return sf_ready_wait(err, t, deadline, r);
}
