/*
 * opts: the one way every entry point of the suite reads its command line
 * (the eight programs, and each `sockfam` command).  A program describes
 * its options as a table of rows; the table gives getopt_long its short
 * and long forms and prints --help, so the two never disagree; every
 * table also gets -V/--version (version.h), listed under -h.  Values are
 * checked with ranges by the sf_opt_* readers, which, like every error
 * here, print one line "PROGRAM: what is wrong (see PROGRAM --help)" and
 * exit EX_USAGE.  Part of sockfam_prog: it prints and exits.
 */
#ifndef SF_OPTS_H
#define SF_OPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Values at or above this are long-only options (no short letter). */
#define SF_OPT_LONG 256

/* One row of an option table. */
struct sf_opt {
    const char *name; /* long name without "--"; NULL for a short-only option (ping's -c) */
    int val;          /* the short letter, or SF_OPT_LONG + n for a long-only option */
    const char *arg;  /* the value's placeholder ("N", "SEC"), or NULL for a flag */
    const char *help; /* one line; a second line may follow after '\n' */
};

/* A command: its usage line, its table and the text after the options. */
struct sf_cmd {
    const char *usage;   /* after "Usage: PROGRAM ": "[OPTIONS] HOST" */
    const char *summary; /* the lines under the usage line */
    const struct sf_opt *opts;
    size_t nopts;
    const char *epilog; /* printed after the options (modes, exit status), or NULL */
};

/* Called for each option found, in order; arg is NULL for a flag. */
typedef void (*sf_opt_fn)(void *ctx, int val, const char *arg);

/*
 * Read argv[1..] against cmd: fn for every option, -h/--help prints the
 * help on stdout and exits EX_OK, -V/--version prints the version line
 * on stdout and exits EX_OK (a table may not use -V or --version itself:
 * abort), an unknown option or a missing value is
 * a usage error.  Options end at "--" (and may be mixed with operands, as
 * getopt_long allows).  Returns the index of the first operand.
 */
int sf_opts_parse(const struct sf_cmd *cmd, int argc, char **argv, sf_opt_fn fn, void *ctx);

/* The help text of cmd, as --help prints it. */
void sf_opts_help(FILE *f, const struct sf_cmd *cmd);

/* No operand may follow: a usage error naming the first one, if any. */
void sf_opts_no_operands(int argc, char **argv, int first);

/* An integer in [min, max], or a usage error naming what. */
uint64_t sf_opt_uint(const char *what, const char *text, uint64_t min, uint64_t max);

/* Seconds (decimals allowed, at most a day) as milliseconds; 0 only with allow_zero. */
int64_t sf_opt_seconds(const char *what, const char *text, int allow_zero);

/* Octal file permissions, at most 0777. */
unsigned sf_opt_octal(const char *what, const char *text);

/* The index of text in choices (NULL-terminated), or a usage error listing them. */
int sf_opt_choice(const char *what, const char *text, const char *const choices[]);

#endif
