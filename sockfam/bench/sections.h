/*
 * sections: the bench's sections and running one of them: first its floor
 * rows (each bare socket a selected family is measured against, under the
 * run's placement), then the rows of every selected family that takes
 * part in it (the row's sections field).
 */
#ifndef SF_SECTIONS_H
#define SF_SECTIONS_H

enum section { SEC_LATENCY, SEC_STREAM, SEC_DGRAM, SEC_CONNECT, SEC_CROWD, SEC_MODELS, SEC_N };

/* A section as a bit of struct family's sections. */
#define SEC_BIT(sec) (1u << (sec))

/* "latency", "stream", ...: as --sections takes them and the JSON names them. */
extern const char *const section_names[SEC_N];

struct bench;

/* Every row of section sec, appended to b's cells. */
void sections_run(struct bench *b, enum section sec);

#endif
