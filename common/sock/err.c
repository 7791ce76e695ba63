/* err: the error record; see err.h. */
#include "err.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

void sf_err_clear(struct sf_err *err)
{
    if (err)
        memset(err, 0, sizeof(*err));
}

static void set_op(struct sf_err *err, const char *op)
{
    snprintf(err->op, sizeof(err->op), "%s", op ? op : "");
}

int sf_err_sys(struct sf_err *err, int errnum, const char *op, const char *what)
{
    int saved = errno;
    if (err) {
        err->kind = SF_ERR_SYS;
        err->sys_errno = errnum;
        err->gai_code = 0;
        set_op(err, op);
        if (what)
            snprintf(err->msg, sizeof(err->msg), "%s(%s): %s", op, what, strerror(errnum));
        else
            snprintf(err->msg, sizeof(err->msg), "%s: %s", op, strerror(errnum));
    }
    errno = saved;
    return -1;
}

int sf_err_gai(struct sf_err *err, int code, int errnum, const char *what)
{
    int saved = errno;
    if (err) {
        err->kind = SF_ERR_GAI;
        err->gai_code = code;
        err->sys_errno = code == EAI_SYSTEM ? errnum : 0;
        set_op(err, "getaddrinfo");
        snprintf(err->msg, sizeof(err->msg), "getaddrinfo(%s): %s", what,
                 code == EAI_SYSTEM ? strerror(errnum) : gai_strerror(code));
    }
    errno = saved;
    return -1;
}

int sf_err_set(struct sf_err *err, enum sf_err_kind kind, int errnum, const char *op,
               const char *fmt, ...)
{
    int saved = errno;
    if (err) {
        char text[SF_ERR_MSG_MAX - SF_ERR_OP_MAX - 3];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        err->kind = kind;
        err->sys_errno = errnum;
        err->gai_code = 0;
        set_op(err, op);
        if (op)
            snprintf(err->msg, sizeof(err->msg), "%s: %s", op, text);
        else
            snprintf(err->msg, sizeof(err->msg), "%s", text);
    }
    errno = saved;
    return -1;
}

void sf_err_context(struct sf_err *err, const char *what)
{
    size_t oplen;
    char rest[SF_ERR_MSG_MAX];

    if (!err || !what || !err->op[0])
        return;
    oplen = strlen(err->op);
    /* Only "op: reason" is rewritten; "op(addr): reason" already names one. */
    if (strncmp(err->msg, err->op, oplen) != 0 || strncmp(err->msg + oplen, ": ", 2) != 0)
        return;
    snprintf(rest, sizeof(rest), "%s", err->msg + oplen + 2);
    snprintf(err->msg, sizeof(err->msg), "%s(%.200s): %.270s", err->op, what, rest);
}

void sf_err_hint(struct sf_err *err, const char *fmt, ...)
{
    size_t n;
    va_list ap;

    if (!err)
        return;
    n = strlen(err->msg);
    if (n + 2 >= sizeof(err->msg))
        return;
    memcpy(err->msg + n, "; ", 2);
    va_start(ap, fmt);
    vsnprintf(err->msg + n + 2, sizeof(err->msg) - n - 2, fmt, ap);
    va_end(ap);
}

static int sys_exit_code(int e)
{
    switch (e) {
    case ECONNREFUSED:
    case ECONNRESET:
    case ECONNABORTED:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EHOSTDOWN:
    case ENETDOWN:
    case ETIMEDOUT:
    case EPIPE:
        return EX_UNAVAILABLE;
    case EACCES:
    case EPERM:
        return EX_NOPERM;
    case EAGAIN:
    case EINTR:
    case ENOBUFS:
        return EX_TEMPFAIL;
    default:
        return EX_OSERR;
    }
}

int sf_err_exit_code(const struct sf_err *err)
{
    if (!err)
        return EX_SOFTWARE;
    switch (err->kind) {
    case SF_ERR_NONE:
        return EX_OK;
    case SF_ERR_INVALID:
        return EX_USAGE;
    case SF_ERR_TIMEOUT:
    case SF_ERR_PEER:
        return EX_UNAVAILABLE;
    case SF_ERR_GAI:
        if (err->gai_code == EAI_AGAIN)
            return EX_TEMPFAIL;
        if (err->gai_code == EAI_SYSTEM)
            return sys_exit_code(err->sys_errno);
        if (err->gai_code == EAI_MEMORY)
            return EX_OSERR;
        return EX_NOHOST;
    case SF_ERR_SYS:
        /* connect() to a unix path with no socket file: nobody is serving there. */
        if (err->sys_errno == ENOENT && strcmp(err->op, "connect") == 0)
            return EX_UNAVAILABLE;
        return sys_exit_code(err->sys_errno);
    }
    return EX_SOFTWARE;
}
