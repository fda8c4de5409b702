/* The per-thread spin-iteration counter and the drain flag of locks/arch.h. */
#include "arch.h"

_Thread_local atomic_ulong sb_spins;

atomic_int sb_spin_drain;
_Thread_local int sb_thread_node;
_Thread_local int sb_thread_group = -1; /* unset: the node */
int sb_numa_nodes = 1;
