/*
 * err: the error record that every fallible function in common/ fills.
 *
 * A caller owns a struct sf_err (on its stack) and passes it first to each
 * call; NULL is allowed when the caller does not care why.  The record keeps
 * what a program needs to report and to choose an exit code: the failing
 * operation, the saved errno, the getaddrinfo code, and one line such as
 * "connect([::1]:50007): Connection refused", naming the address as the user
 * wrote it.  Nothing here prints or exits; sf_err_exit_code() only maps the
 * record to a <sysexits.h> code for the program that will.
 */
#ifndef SF_ERR_H
#define SF_ERR_H

#include <stdarg.h>

enum sf_err_kind {
    SF_ERR_NONE = 0,
    SF_ERR_SYS,     /* a system call failed: sys_errno says why */
    SF_ERR_GAI,     /* getaddrinfo failed: gai_code says why */
    SF_ERR_INVALID, /* the input (an address, a size) is not acceptable */
    SF_ERR_TIMEOUT, /* a deadline passed before the peer answered */
    SF_ERR_PEER,    /* the peer closed or answered something unexpected */
};

#define SF_ERR_OP_MAX 32
#define SF_ERR_MSG_MAX 512

struct sf_err {
    enum sf_err_kind kind;
    int sys_errno; /* errno of the failing call, 0 if none */
    int gai_code;  /* getaddrinfo's code, 0 if none */
    char op[SF_ERR_OP_MAX];
    char msg[SF_ERR_MSG_MAX];
};

/* Reset a record to "no error".  NULL is ignored. */
void sf_err_clear(struct sf_err *err);

/*
 * Record a failed system call: "op(what): strerror(errnum)", or "op: ..."
 * when what is NULL.  Returns -1 so a caller can `return sf_err_sys(...)`.
 * errno is preserved.
 */
int sf_err_sys(struct sf_err *err, int errnum, const char *op, const char *what);

/* Record a getaddrinfo failure for `what` (EAI_SYSTEM uses errnum). Returns -1. */
int sf_err_gai(struct sf_err *err, int code, int errnum, const char *what);

/*
 * Record an error of any kind with a printf-style message after "op: "
 * (or alone when op is NULL).  Returns -1.  errno is preserved.
 */
int sf_err_set(struct sf_err *err, enum sf_err_kind kind, int errnum, const char *op,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * Name the address the failing operation was about, as the user wrote it:
 * "recv: timed out" becomes "recv(localhost:50007): timed out".  Only for a
 * record whose message does not already name one.
 */
void sf_err_context(struct sf_err *err, const char *what);

/*
 * Add what the user can do about it, after the reason: "connect(unix:/x):
 * No such file or directory" becomes "...directory; start unix-server, or
 * ...".  The kind, errno and op stay.  NULL is ignored.
 */
void sf_err_hint(struct sf_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The <sysexits.h> code a program should exit with for this record:
 * 64 invalid input, 68 unknown host, 69 peer unavailable (refused,
 * unreachable, timed out, closed), 75 temporary failure, 77 permission,
 * 71 any other OS error.
 */
int sf_err_exit_code(const struct sf_err *err);

#endif
