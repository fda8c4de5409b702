/*
 * exit.c - takes a mutex 1000 times, then ends with _exit(3): no
 * destructor runs, yet the profile must hold the 1000 acquisitions and
 * profile-app must pass the status 3 through.
 */
#include <pthread.h>
#include <unistd.h>

int main(void)
{
	static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	for (int i = 0; i < 1000; i++) {
		pthread_mutex_lock(&m);
		pthread_mutex_unlock(&m);
	}
	_exit(3);
}
