/*
 * sqlite.c - SQLite in serialized mode, the driver of issue 13's test: T
 * threads share one connection (SQLite's own recursive pthread mutexes make
 * that safe) and insert N rows each, one statement at a time; then the
 * rows are counted.  Prints "sqlite: R rows of T x N"; exit 0 when R = T x N.
 * Usage: prof_sqlite [T [N]]  (built only where libsqlite3-dev is installed)
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

static sqlite3 *db;
static int per_thread = 300, errors;

static void *writer(void *arg)
{
	long id = (long)arg;
	for (int i = 0; i < per_thread; i++) {
		char sql[160];
		snprintf(sql, sizeof sql, "INSERT INTO t(thread, n) VALUES(%ld, %d);", id, i);
		/* sqlite3_exec takes the connection's recursive mutex, and again
		 * inside (prepare, step, finalize): re-entry by its owner */
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			__atomic_add_fetch(&errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int nthreads = argc > 1 ? atoi(argv[1]) : 4;
	if (argc > 2)
		per_thread = atoi(argv[2]);
	if (nthreads < 1 || nthreads > 64 || per_thread < 1)
		return 2;
	if (sqlite3_config(SQLITE_CONFIG_SERIALIZED) != SQLITE_OK || sqlite3_threadsafe() == 0 ||
	    sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "CREATE TABLE t(thread INTEGER, n INTEGER);", NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "sqlite: cannot set up serialized mode\n");
		return 1;
	}
	pthread_t th[64];
	for (long i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, writer, (void *)i);
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	sqlite3_stmt *st;
	long rows = -1;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t;", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		rows = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	printf("sqlite: %ld rows of %d x %d, %d errors\n", rows, nthreads, per_thread, errors);
	return rows == (long)nthreads * per_thread && errors == 0 ? 0 : 1;
}
