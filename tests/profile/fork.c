/*
 * fork.c - the parent takes its mutex 300 times, forks, and the child
 * takes the same mutex 200 times and exits; the parent then takes it 100
 * times more.  The profile must show the child apart (its own pid, 200
 * acquisitions) and the parent with 400, none of the child's.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void take(int n)
{
	for (int i = 0; i < n; i++) {
		pthread_mutex_lock(&m);
		pthread_mutex_unlock(&m);
	}
}

int main(void)
{
	int st;
	take(300);
	pid_t c = fork();
	if (c == 0) {
		take(200);
		exit(0);
	}
	waitpid(c, &st, 0);
	take(100);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
