/* Unit tests for common/err: messages and the exit-code mapping. */
#include <criterion/criterion.h>
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sysexits.h>

#include "err.h"

TestSuite(err, .timeout = 10);

/* The message names the operation and the address as written, and errno is kept. */
Test(err, sys_message_and_errno_preserved)
{
    struct sf_err err;

    errno = EINTR;
    cr_expect_eq(sf_err_sys(&err, ECONNREFUSED, "connect", "[::1]:50007"), -1);
    cr_expect_eq(errno, EINTR);
    cr_expect_str_eq(err.msg, "connect([::1]:50007): Connection refused");
    cr_expect_eq(err.sys_errno, ECONNREFUSED);
}

/* A context is added only where the message names no address yet. */
Test(err, context_added_once)
{
    struct sf_err err;

    sf_err_set(&err, SF_ERR_TIMEOUT, ETIMEDOUT, "recv", "timed out");
    sf_err_context(&err, "localhost:8001");
    cr_expect_str_eq(err.msg, "recv(localhost:8001): timed out");
    sf_err_context(&err, "other:1");
    cr_expect_str_eq(err.msg, "recv(localhost:8001): timed out");
}

/* NULL records are accepted everywhere. */
Test(err, null_record_allowed)
{
    cr_expect_eq(sf_err_sys(NULL, EPERM, "socket", NULL), -1);
    cr_expect_eq(sf_err_set(NULL, SF_ERR_PEER, 0, NULL, "x"), -1);
    sf_err_clear(NULL);
    sf_err_context(NULL, "x");
}

struct code_case {
    enum sf_err_kind kind;
    int sys, gai, code;
};

static const struct code_case codes[] = {
    {SF_ERR_SYS, ECONNREFUSED, 0, EX_UNAVAILABLE},
    {SF_ERR_SYS, EHOSTUNREACH, 0, EX_UNAVAILABLE},
    {SF_ERR_SYS, ETIMEDOUT, 0, EX_UNAVAILABLE},
    {SF_ERR_SYS, ECONNRESET, 0, EX_UNAVAILABLE},
    {SF_ERR_SYS, EPERM, 0, EX_NOPERM},
    {SF_ERR_SYS, EACCES, 0, EX_NOPERM},
    {SF_ERR_SYS, EADDRINUSE, 0, EX_OSERR},
    {SF_ERR_SYS, EMFILE, 0, EX_OSERR},
    {SF_ERR_GAI, 0, EAI_NONAME, EX_NOHOST},
    {SF_ERR_GAI, 0, EAI_AGAIN, EX_TEMPFAIL},
    {SF_ERR_INVALID, 0, 0, EX_USAGE},
    {SF_ERR_TIMEOUT, ETIMEDOUT, 0, EX_UNAVAILABLE},
    {SF_ERR_PEER, 0, 0, EX_UNAVAILABLE},
    {SF_ERR_NONE, 0, 0, EX_OK},
};

Test(err, exit_code_table)
{
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        struct sf_err err = {
            .kind = codes[i].kind, .sys_errno = codes[i].sys, .gai_code = codes[i].gai};
        cr_expect_eq(sf_err_exit_code(&err), codes[i].code, "case %zu", i);
    }
}

/* A very long address cannot overflow the message. */
Test(err, long_context_bounded)
{
    struct sf_err err;
    char big[2000];

    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    sf_err_sys(&err, EPERM, "bind", big);
    cr_expect_lt(strlen(err.msg), sizeof(err.msg));
}
