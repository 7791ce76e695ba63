/*
 * --version and -V on all nine programs and on each sockfam command: one
 * line on stdout, "NAME (sockfam) VERSION" with project(VERSION) and, from
 * a git checkout, " (git DESCRIBE)"; exit 0, nothing on stderr; listed in
 * --help under -h.  And sockfam's own help: the commands listed, `sockfam
 * help CMD` the same text as `sockfam CMD --help`.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "proc.h"

#ifndef SF_PROJECT_VERSION
#error "SF_PROJECT_VERSION must be CMake's PROJECT_VERSION"
#endif

TestSuite(version, .timeout = 60);

#define WAIT_MS 10000

static const char *const programs[] = {"tcp-server", "tcp-client",  "udp-server",
                                       "udp-client", "unix-server", "unix-client",
                                       "icmp-ping",  "icmp-echod",  "sockfam"};
#define NPROGRAMS (sizeof(programs) / sizeof(programs[0]))

/* out is "name (sockfam) VERSION\n" or "name (sockfam) VERSION (git D)\n" with D non-empty. */
static void expect_version_line(const char *out, const char *name)
{
    char want[128];
    size_t n = (size_t)snprintf(want, sizeof(want), "%s (sockfam) %s", name, SF_PROJECT_VERSION);

    cr_assert(strncmp(out, want, n) == 0, "'%s' does not start '%s'", out, want);
    if (strcmp(out + n, "\n") == 0)
        return;
    cr_expect(strncmp(out + n, " (git ", 6) == 0 && strlen(out + n) > 8 &&
                  strcmp(out + strlen(out) - 2, ")\n") == 0 && !strchr(out + n + 6, ' '),
              "after the version: '%s'", out + n);
    cr_expect(strchr(out, '\n') == out + strlen(out) - 1, "one line: '%s'", out);
}

/* Every program, both spellings: the line, exit 0, stderr silent. */
Test(version, every_program_prints_its_version_line)
{
    static const char *const flags[] = {"--version", "-V"};

    for (size_t i = 0; i < NPROGRAMS; i++)
        for (size_t k = 0; k < 2; k++) {
            struct proc p;
            const char *argv[] = {programs[i], flags[k], NULL};

            cr_assert_eq(proc_run(&p, WAIT_MS, argv), 0, "%s %s: %s", programs[i], flags[k], p.err);
            cr_expect_eq(p.err_len, 0, "%s %s wrote on stderr: %s", programs[i], flags[k], p.err);
            expect_version_line(p.out, programs[i]);
        }
}

/* --version wins wherever it stands, as --help does: the other options are not run. */
Test(version, version_after_other_options_still_exits_0)
{
    struct proc p;
    const char *argv[] = {"tcp-server", "-p", "0", "--once", "-V", NULL};

    cr_assert_eq(proc_run(&p, WAIT_MS, argv), 0, "%s", p.err);
    expect_version_line(p.out, "tcp-server");
    cr_expect(!strstr(p.err, "listening"), "a server started: %s", p.err);
}

/* Each program's --help lists it, right under -h. */
Test(version, help_lists_version_under_help)
{
    for (size_t i = 0; i + 1 < NPROGRAMS; i++) {
        struct proc p;
        const char *argv[] = {programs[i], "--help", NULL};
        const char *h, *v;

        cr_assert_eq(proc_run(&p, WAIT_MS, argv), 0, "%s --help: %s", programs[i], p.err);
        h = strstr(p.out, "--help ");
        v = strstr(p.out, "  -V, --version ");
        cr_expect(h && v, "%s --help lists no -V, --version:\n%s", programs[i], p.out);
        if (h && v)
            cr_expect(v == strchr(h, '\n') + 1, "%s: -V is not under -h:\n%s", programs[i], p.out);
    }
}

/* sockfam COMMAND --version names the program, as GNU tools do; sockfam --help lists it. */
Test(version, sockfam_commands_and_help)
{
    static const char *const cmds[] = {"compare", "bench", "ladder", "show"};
    static struct proc p, q, r; /* 128 KiB each */
    const char *top[] = {"sockfam", "--help", NULL};

    cr_assert_eq(proc_run(&p, WAIT_MS, top), 0, "%s", p.err);
    cr_expect(strstr(p.out, "-V, --version"), "%s", p.out);
    cr_expect(strstr(p.out, "\n  help "), "help is not listed:\n%s", p.out);
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        const char *ver[] = {"sockfam", cmds[i], "--version", NULL};
        const char *help[] = {"sockfam", "help", cmds[i], NULL};
        const char *own[] = {"sockfam", cmds[i], "--help", NULL};
        char row[32];

        snprintf(row, sizeof(row), "\n  %s ", cmds[i]);
        cr_expect(strstr(p.out, row), "sockfam --help does not list %s:\n%s", cmds[i], p.out);
        cr_assert_eq(proc_run(&q, WAIT_MS, ver), 0, "%s", q.err);
        expect_version_line(q.out, "sockfam");
        cr_assert_eq(proc_run(&q, WAIT_MS, help), 0, "sockfam help %s: %s", cmds[i], q.err);
        cr_assert_eq(proc_run(&r, WAIT_MS, own), 0, "%s", r.err);
        cr_expect_str_eq(q.out, r.out, "sockfam help %s differs from sockfam %s --help", cmds[i],
                         cmds[i]);
    }
}

/* sockfam help with a command that does not exist is a usage error. */
Test(version, sockfam_help_unknown_command_exits_64)
{
    struct proc p;
    const char *argv[] = {"sockfam", "help", "frobnicate", NULL};

    cr_assert_eq(proc_run(&p, WAIT_MS, argv), 64);
    cr_expect(strstr(p.err, "unknown command 'frobnicate'"), "%s", p.err);
}

/* help is a command as the others are: help help is the commands' list, help -V the version. */
Test(version, sockfam_help_help_is_the_commands_list)
{
    static struct proc p, q; /* 128 KiB each */
    const char *top[] = {"sockfam", "--help", NULL};
    const char *help[] = {"sockfam", "help", "help", NULL};
    const char *ver[] = {"sockfam", "help", "--version", NULL};

    cr_assert_eq(proc_run(&p, WAIT_MS, top), 0, "%s", p.err);
    cr_assert_eq(proc_run(&q, WAIT_MS, help), 0, "sockfam help help: %s", q.err);
    cr_expect_str_eq(q.out, p.out, "sockfam help help differs from sockfam --help");
    cr_assert_eq(proc_run(&q, WAIT_MS, ver), 0, "sockfam help --version: %s", q.err);
    expect_version_line(q.out, "sockfam");
}

/* Without a command, the one line names every command sockfam --help lists, in its order. */
Test(version, sockfam_without_command_names_every_command)
{
    static struct proc p, q;
    const char *top[] = {"sockfam", "--help", NULL};
    const char *none[] = {"sockfam", NULL};
    char names[256] = "sockfam ";
    const char *line;

    cr_assert_eq(proc_run(&p, WAIT_MS, top), 0, "%s", p.err);
    line = strstr(p.out, "\nCommands:\n");
    cr_assert(line, "%s", p.out);
    for (line = strchr(line + 1, '\n') + 1; strncmp(line, "  ", 2) == 0 && strchr(line, '\n');
         line = strchr(line, '\n') + 1) {
        size_t n = strcspn(line + 2, " \n");

        cr_assert_lt(strlen(names) + 34, sizeof(names), "too many commands: %s", p.out);

        if (names[strlen(names) - 1] != ' ')
            strcat(names, "|");
        strncat(names, line + 2, n < 32 ? n : 32);
    }
    cr_assert_eq(proc_run(&q, WAIT_MS, none), 64);
    cr_expect(strstr(q.err, "a command is needed"), "%s", q.err);
    cr_expect(strstr(q.err, names), "'%s' not in: %s", names, q.err);
    cr_expect(strstr(names, "|help"), "help is not among %s", names);
}
