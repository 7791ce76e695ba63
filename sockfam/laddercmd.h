/* laddercmd: `sockfam ladder FILE.pcap`, a capture drawn as ladders (laddercmd.c). */
#ifndef SF_LADDERCMD_H
#define SF_LADDERCMD_H

/* The command: argv[0] is "ladder"; the exit code. */
int ladder_main(int argc, char **argv);

#endif
