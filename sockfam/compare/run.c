/* run: the results and notes of a compare run, as its files record them; see compare.h. */
#include <stdarg.h>
#include <stdio.h>

#include "compare.h"

void run_note(struct run *r, const char *fmt, ...)
{
    va_list ap;

    if (r->nnotes >= (int)(sizeof(r->notes) / sizeof(r->notes[0])))
        return;
    va_start(ap, fmt);
    vsnprintf(r->notes[r->nnotes++], sizeof(r->notes[0]), fmt, ap);
    va_end(ap);
}

void run_result(struct run *r, int f, enum status status, const char *fmt, ...)
{
    va_list ap;

    r->r[f].status = status;
    va_start(ap, fmt);
    vsnprintf(r->r[f].why, sizeof(r->r[f].why), fmt, ap);
    va_end(ap);
}
