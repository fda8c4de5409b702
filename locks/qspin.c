/*
 * qspin.c - storage for the qspin lock (locks/qspin.h): the per-thread
 * queue nodes, SB_QSPIN_MAX_NESTING per thread, each on its own 128-byte
 * line (2 MiB in all), and the per-thread nesting count that picks one.
 */
#include "qspin.h"

sb_qspin_qnode_t sb_qspin_nodes[SB_QSPIN_MAX_THREADS][SB_QSPIN_MAX_NESTING];
_Thread_local unsigned sb_qspin_nesting;
