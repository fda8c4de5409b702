/*
 * folder.h - the result folder's life: what --out names (checked before
 * anything runs), the hidden folder a run writes into, and its publication
 * at the end (results/<run_id> and results/latest, or --out replaced whole).
 */
#ifndef SPINBENCH_HARNESS_FOLDER_H
#define SPINBENCH_HARNESS_FOLDER_H

#include <stddef.h>

#include "results.h"
#include "run.h"

/* What --out names: nothing there, an empty folder, a previous result
 * (meta.json with a schema_version: replaced whole), or anything else. */
enum { SB_OUT_NEW, SB_OUT_EMPTY, SB_OUT_RESULT, SB_OUT_FOREIGN, SB_OUT_BAD };
int sb_out_state(const char *dir);

/*
 * Can a run be written to --out?  The run writes into a hidden folder beside
 * it and renames that into place at the end, so the parent must take a new
 * folder: create the parent (and its parents) and a probe folder in it.  A
 * parent created for nothing (an unwritable one) is removed again.  0 when
 * writable.
 */
int sb_out_probe(const char *dir);

/* mkdir -p; 0 or -1. */
int sb_mkdir_p(const char *path);

/*
 * The result folder: its run_id, and the hidden folder beside its final
 * place where the run writes (dir), renamed by sb_folder_publish() at the
 * end.  0, or -1 (reported) when it cannot be created.
 */
int sb_folder_make(const sb_opts_t *o, sb_meta_t *meta, char *dir, size_t dirlen);

/*
 * Move the finished folder (dir) to its place: results/<run_id> (next free
 * name) with results/latest pointing at it when complete; or --out, which
 * replaces a previous result (or an empty folder) whole: it is moved aside,
 * the new one moved in, then the old one deleted.  final gets the place.
 * 0, or -1 (reported).
 */
int sb_folder_publish(const sb_opts_t *o, const sb_meta_t *meta, const char *dir, char *final, size_t flen);

#endif
