/* version: the version line of --version; see version.h. */
#include "version.h"

#include "sf_version.h" /* generated in the build tree at each build */

const char *sf_version(void)
{
    return SF_VERSION;
}

const char *sf_version_git(void)
{
    return SF_GIT_DESCRIBE;
}

void sf_version_print(FILE *f, const char *program)
{
    if (SF_GIT_DESCRIBE[0])
        fprintf(f, "%s (sockfam) %s (git %s)\n", program, SF_VERSION, SF_GIT_DESCRIBE);
    else
        fprintf(f, "%s (sockfam) %s\n", program, SF_VERSION);
}
