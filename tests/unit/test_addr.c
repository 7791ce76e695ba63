/* Unit tests for common/addr: parsing as a table, formatting, opening. */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"

TestSuite(addr, .timeout = 10);

struct parse_case {
    const char *text, *default_port;
    int allow0, ok;
    enum sf_addr_kind kind;
    const char *host_or_path, *port, *shown; /* shown: addr.text, or the error's substring */
};

static const struct parse_case cases[] = {
    {"localhost:8001", NULL, 0, 1, SF_ADDR_INET, "localhost", "8001", "localhost:8001"},
    {"localhost", "50007", 0, 1, SF_ADDR_INET, "localhost", "50007", "localhost:50007"},
    {"127.0.0.1:0", NULL, 1, 1, SF_ADDR_INET, "127.0.0.1", "0", "127.0.0.1:0"},
    {"[::1]:50007", NULL, 0, 1, SF_ADDR_INET, "::1", "50007", "[::1]:50007"},
    {"[::1]", "8001", 0, 1, SF_ADDR_INET, "::1", "8001", "[::1]:8001"},
    {"::1", "8001", 0, 1, SF_ADDR_INET, "::1", "8001", "[::1]:8001"},
    {"fe80::1%lo", "1", 0, 1, SF_ADDR_INET, "fe80::1%lo", "1", "[fe80::1%lo]:1"},
    {"host:65535", NULL, 0, 1, SF_ADDR_INET, "host", "65535", "host:65535"},
    {"unix:/tmp/x.sock", NULL, 0, 1, SF_ADDR_UNIX, "/tmp/x.sock", NULL, "unix:/tmp/x.sock"},
    {"@sockfam", NULL, 0, 1, SF_ADDR_ABSTRACT, "sockfam", NULL, "@sockfam"},
    /* hostile or wrong input: rejected with a message that says why */
    {"", "1", 0, 0, 0, NULL, NULL, "empty address"},
    {"host:70000", NULL, 0, 0, 0, NULL, NULL, "invalid port '70000'"},
    {"host:abc", NULL, 0, 0, 0, NULL, NULL, "invalid port 'abc'"},
    {"host:0", NULL, 0, 0, 0, NULL, NULL, "invalid port '0' (expected 1-65535)"},
    {"host:-1", NULL, 0, 0, 0, NULL, NULL, "invalid port"},
    {"host: 80", NULL, 0, 0, 0, NULL, NULL, "invalid port"},
    {"host:", NULL, 0, 0, 0, NULL, NULL, "invalid port ''"},
    {"host:99999999999999999999999", NULL, 0, 0, 0, NULL, NULL, "invalid port"},
    {"host", NULL, 0, 0, 0, NULL, NULL, "missing port"},
    {":80", NULL, 0, 0, 0, NULL, NULL, "missing host"},
    {"[::1", "1", 0, 0, 0, NULL, NULL, "missing ']'"},
    {"[::1]x", "1", 0, 0, 0, NULL, NULL, "unexpected text after ']'"},
    {"[]:80", NULL, 0, 0, 0, NULL, NULL, "missing host"},
    {"unix:", NULL, 0, 0, 0, NULL, NULL, "empty unix socket path"},
    {"@", NULL, 0, 0, 0, NULL, NULL, "empty abstract name"},
};

Test(addr, parse_table)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct parse_case *c = &cases[i];
        struct sf_addr a;
        struct sf_err err;
        int rc = sf_addr_parse(&err, c->text, c->default_port, c->allow0, &a);
        if (!c->ok) {
            cr_expect_eq(rc, -1, "'%s' should be rejected", c->text);
            cr_expect(strstr(err.msg, c->shown), "'%s': message '%s' lacks '%s'", c->text, err.msg,
                      c->shown);
            cr_expect_eq(err.kind, SF_ERR_INVALID);
            continue;
        }
        cr_assert_eq(rc, 0, "'%s' rejected: %s", c->text, err.msg);
        cr_expect_eq(a.kind, c->kind, "'%s'", c->text);
        cr_expect_str_eq(a.kind == SF_ADDR_INET ? a.host : a.path, c->host_or_path);
        if (c->port)
            cr_expect_str_eq(a.port, c->port, "'%s'", c->text);
        cr_expect_str_eq(a.text, c->shown);
    }
}

/* A path longer than sun_path is refused, never truncated. */
Test(addr, unix_path_too_long_rejected)
{
    char text[300] = "unix:/";
    struct sf_addr a;
    struct sf_err err;

    memset(text + 6, 'x', 200);
    cr_assert_eq(sf_addr_parse(&err, text, NULL, 0, &a), -1);
    cr_expect(strstr(err.msg, "too long (201 bytes, at most 107)"), "%s", err.msg);
    /* exactly the limit is fine */
    text[5 + 107] = '\0';
    cr_expect_eq(sf_addr_parse(&err, text, NULL, 0, &a), 0, "%s", err.msg);
}

/* An over-long host name is refused before any lookup. */
Test(addr, host_too_long_rejected)
{
    char text[300];
    struct sf_addr a;
    struct sf_err err;

    memset(text, 'h', 254);
    text[254] = '\0';
    cr_assert_eq(sf_addr_parse(&err, text, "1", 0, &a), -1);
    cr_expect(strstr(err.msg, "too long"), "%s", err.msg);
}

/* Numeric formatting: brackets for IPv6, Python's tuples for the tutorial. */
Test(addr, format_v4_v6_and_pytuple)
{
    struct sockaddr_in sin = {
        .sin_family = AF_INET, .sin_port = htons(43122), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sockaddr_in6 sin6 = {
        .sin6_family = AF_INET6, .sin6_port = htons(8001), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    char buf[128];

    sf_sockaddr_format((struct sockaddr *)&sin, sizeof(sin), buf, sizeof(buf));
    cr_expect_str_eq(buf, "127.0.0.1:43122");
    sf_sockaddr_format((struct sockaddr *)&sin6, sizeof(sin6), buf, sizeof(buf));
    cr_expect_str_eq(buf, "[::1]:8001");
    sf_sockaddr_pytuple((struct sockaddr *)&sin, sizeof(sin), buf, sizeof(buf));
    cr_expect_str_eq(buf, "('127.0.0.1', 43122)");
    sf_sockaddr_pytuple((struct sockaddr *)&sin6, sizeof(sin6), buf, sizeof(buf));
    cr_expect_str_eq(buf, "('::1', 8001, 0, 0)");
}

/* AF_UNIX names: paths, abstract names (escaped), unnamed peers. */
Test(addr, format_unix_names)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    char buf[512];
    socklen_t base = (socklen_t)offsetof(struct sockaddr_un, sun_path);

    strcpy(sun.sun_path, "/run/x.sock");
    sf_sockaddr_format((struct sockaddr *)&sun, base + 12, buf, sizeof(buf));
    cr_expect_str_eq(buf, "unix:/run/x.sock");
    memcpy(sun.sun_path, "\0ab\x01", 4);
    sf_sockaddr_format((struct sockaddr *)&sun, base + 4, buf, sizeof(buf));
    cr_expect_str_eq(buf, "@ab\\x01");
    sf_sockaddr_format((struct sockaddr *)&sun, base, buf, sizeof(buf));
    cr_expect_str_eq(buf, "unix:(unnamed)");
}

/* Listening on port 0 gets a real port; connecting there works; a closed port is refused. */
Test(addr, listen_port0_connect_and_refused)
{
    struct sf_addr a;
    struct sf_err err;
    char local[128];

    cr_assert_eq(sf_addr_parse(&err, "127.0.0.1:0", NULL, 1, &a), 0);
    int lfd = sf_listen(&err, &a, SF_FAMILY_ANY, SOCK_STREAM, 0, 4);
    cr_assert_geq(lfd, 0, "%s", err.msg);
    cr_assert_eq(sf_local_address(&err, lfd, local, sizeof(local)), 0);
    cr_assert_eq(sf_addr_parse(&err, local, NULL, 0, &a), 0, "%s", err.msg);
    int fd = sf_connect(&err, &a, SF_FAMILY_ANY, SOCK_STREAM, 0, 2000);
    cr_assert_geq(fd, 0, "%s", err.msg);
    close(fd);
    close(lfd);
    fd = sf_connect(&err, &a, SF_FAMILY_ANY, SOCK_STREAM, 0, 2000);
    cr_expect_eq(fd, -1);
    cr_expect_eq(err.sys_errno, ECONNREFUSED);
    cr_expect(strstr(err.msg, "connect(") && strstr(err.msg, "Connection refused"), "%s", err.msg);
    cr_expect_eq(sf_err_exit_code(&err), 69);
}

/* Binding an address in use names that address. */
Test(addr, listen_address_in_use_names_address)
{
    struct sf_addr a;
    struct sf_err err;
    char local[128];

    cr_assert_eq(sf_addr_parse(&err, "127.0.0.1:0", NULL, 1, &a), 0);
    int lfd = sf_listen(&err, &a, SF_FAMILY_ANY, SOCK_STREAM, 0, 4);
    cr_assert_geq(lfd, 0);
    sf_local_address(&err, lfd, local, sizeof(local));
    cr_assert_eq(sf_addr_parse(&err, local, NULL, 0, &a), 0);
    cr_expect_eq(sf_listen(&err, &a, SF_FAMILY_ANY, SOCK_STREAM, 0, 4), -1);
    cr_expect_eq(err.sys_errno, EADDRINUSE);
    cr_expect(strstr(err.msg, local), "'%s' should name %s", err.msg, local);
    close(lfd);
}

/* -4 with an IPv6 literal is a resolution error, not a crash or a fallback. */
Test(addr, family_mismatch_is_resolution_error)
{
    struct sf_addr a;
    struct sf_err err;

    cr_assert_eq(sf_addr_parse(&err, "[::1]:1", NULL, 0, &a), 0);
    cr_expect_eq(sf_connect(&err, &a, SF_FAMILY_V4, SOCK_STREAM, 0, 1000), -1);
    cr_expect_eq(err.kind, SF_ERR_GAI);
}
