/*
 * version: what `--version` and `-V` print, for every program of the
 * suite, as GNU tools do: "tcp-server (sockfam) 0.9.0", followed by
 * "(git v0.9.0-12-gabc1234)" when the build came from a git checkout.
 * The version is CMake's project(VERSION); the describe is computed at
 * each build (cmake/version.cmake) and is empty in a tarball or the
 * Debian build.  opts.c calls it for every option table, so no program
 * handles the option itself.  Part of sockfam_prog: it prints.
 */
#ifndef SF_VERSION_MOD_H
#define SF_VERSION_MOD_H

#include <stdio.h>

/* project(VERSION), "0.9.0". */
const char *sf_version(void);

/* `git describe --always --dirty` of the build's checkout, or "" when there was none. */
const char *sf_version_git(void);

/* "PROGRAM (sockfam) VERSION[ (git DESCRIBE)]\n" on f. */
void sf_version_print(FILE *f, const char *program);

#endif
