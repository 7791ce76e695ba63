/* opts: option tables, getopt and --help from one description; see opts.h. */
#include "opts.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "num.h"
#include "version.h"

#define MAX_OPTS 64

/* Every table gets this row, so no program handles --version itself. */
static const struct sf_opt version_opt = {"version", 'V', NULL, "print the version and exit"};

/* "-c, --count N", "    --json", "-c N": the left column of the help. */
static void left_column(const struct sf_opt *o, char *buf, size_t cap)
{
    const char *sp = o->arg ? " " : "", *arg = o->arg ? o->arg : "";

    if (!o->name)
        snprintf(buf, cap, "-%c%s%s", o->val, sp, arg);
    else if (o->val < SF_OPT_LONG)
        snprintf(buf, cap, "-%c, --%s%s%s", o->val, o->name, sp, arg);
    else
        snprintf(buf, cap, "    --%s%s%s", o->name, sp, arg);
}

/* One option's lines of the help. */
static void help_row(FILE *f, const struct sf_opt *o)
{
    const char *help = o->help, *nl;
    char left[48];

    left_column(o, left, sizeof(left));
    /* Every further help line is indented to the help column. */
    for (const char *l = left; help; l = "", help = nl ? nl + 1 : NULL) {
        nl = strchr(help, '\n');
        fprintf(f, "  %-24s %.*s\n", l, nl ? (int)(nl - help) : (int)strlen(help), help);
    }
}

void sf_opts_help(FILE *f, const struct sf_cmd *cmd)
{
    int version_done = 0;

    fprintf(f, "Usage: %s %s\n%s\n\nOptions:\n", sf_cli_command(), cmd->usage, cmd->summary);
    for (size_t i = 0; i < cmd->nopts; i++) {
        help_row(f, &cmd->opts[i]);
        /* -V goes under -h, as GNU tools list them. */
        if (cmd->opts[i].val == 'h' && !version_done) {
            help_row(f, &version_opt);
            version_done = 1;
        }
    }
    if (!version_done)
        help_row(f, &version_opt);
    if (cmd->epilog)
        fprintf(f, "\n%s", cmd->epilog);
}

/* getopt_long's tables from cmd's rows. */
static void build(const struct sf_cmd *cmd, struct option *longs, char *shorts)
{
    size_t nl = 0, ns = 0;

    shorts[ns++] = ':'; /* a missing value reads as ':', not '?' */
    for (size_t i = 0; i < cmd->nopts; i++) {
        const struct sf_opt *o = &cmd->opts[i];
        if (o->name)
            longs[nl++] =
                (struct option){o->name, o->arg ? required_argument : no_argument, NULL, o->val};
        if (o->val < SF_OPT_LONG && !memchr(shorts, o->val, ns)) {
            shorts[ns++] = (char)o->val;
            if (o->arg)
                shorts[ns++] = ':';
        }
    }
    longs[nl++] = (struct option){version_opt.name, no_argument, NULL, version_opt.val};
    shorts[ns++] = (char)version_opt.val;
    longs[nl] = (struct option){NULL, 0, NULL, 0};
    shorts[ns] = '\0';
}

/* A table that takes -V or --version for itself breaks every program's --version. */
static int claims_version(const struct sf_cmd *cmd)
{
    for (size_t i = 0; i < cmd->nopts; i++)
        if (cmd->opts[i].val == version_opt.val ||
            (cmd->opts[i].name && strcmp(cmd->opts[i].name, version_opt.name) == 0))
            return 1;
    return 0;
}

static _Noreturn void bad_option(int c, char **argv)
{
    const char *text = argv[optind - 1];

    if (c == ':')
        sf_cli_usage_error("option '%s' needs a value", text);
    if (optopt && optopt < SF_OPT_LONG && strncmp(text, "--", 2) != 0)
        sf_cli_usage_error("unknown option '-%c'", optopt);
    sf_cli_usage_error("unknown option '%s'", text);
}

int sf_opts_parse(const struct sf_cmd *cmd, int argc, char **argv, sf_opt_fn fn, void *ctx)
{
    struct option longs[MAX_OPTS + 2];
    char shorts[2 * MAX_OPTS + 3];
    int c;

    /* Programming errors, each caught by any test that runs the program. */
    if (cmd->nopts > MAX_OPTS || claims_version(cmd))
        abort();
    build(cmd, longs, shorts);
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        if (c == '?' || c == ':')
            bad_option(c, argv);
        if (c == 'h') {
            sf_opts_help(stdout, cmd);
            exit(EX_OK);
        }
        if (c == version_opt.val) {
            sf_version_print(stdout, sf_cli_name());
            exit(EX_OK);
        }
        fn(ctx, c, optarg);
    }
    return optind;
}

void sf_opts_no_operands(int argc, char **argv, int first)
{
    if (first < argc)
        sf_cli_usage_error("unexpected argument '%s'", argv[first]);
}

uint64_t sf_opt_uint(const char *what, const char *text, uint64_t min, uint64_t max)
{
    struct sf_err err;
    uint64_t v;

    if (sf_parse_u64(&err, what, text, min, max, &v) < 0)
        sf_cli_usage_error("%s", err.msg);
    return v;
}

int64_t sf_opt_seconds(const char *what, const char *text, int allow_zero)
{
    struct sf_err err;
    int64_t ms;

    if (sf_parse_seconds(&err, what, text, 86400 * 1000, &ms) < 0)
        sf_cli_usage_error("%s", err.msg);
    if (ms == 0 && !allow_zero)
        sf_cli_usage_error("invalid %s '%s' (must be above 0)", what, text);
    return ms;
}

unsigned sf_opt_octal(const char *what, const char *text)
{
    unsigned v = 0;
    const char *p = text;

    for (; *p >= '0' && *p <= '7' && v <= 0777; p++)
        v = v * 8 + (unsigned)(*p - '0');
    if (!*text || *p || v > 0777)
        sf_cli_usage_error("invalid %s '%s' (expected octal permissions, e.g. 0600)", what, text);
    return v;
}

int sf_opt_choice(const char *what, const char *text, const char *const choices[])
{
    char list[256] = "";
    size_t n = 0;

    for (int i = 0; choices[i]; i++)
        if (strcmp(text, choices[i]) == 0)
            return i;
    for (int i = 0; choices[i] && n < sizeof(list); i++)
        n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
                              i == 0           ? ""
                              : choices[i + 1] ? ", "
                                               : " or ",
                              choices[i]);
    sf_cli_usage_error("invalid %s '%s' (expected %s)", what, text, list);
}
