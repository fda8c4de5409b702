/*
 * abort.c - takes a mutex 500 times and dies of SIGABRT (a fatal signal,
 * no destructor): the 500 acquisitions must still be in the profile, and
 * profile-app must exit 128 + 6.
 */
#include <pthread.h>
#include <stdlib.h>

int main(void)
{
	static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&m);
		pthread_mutex_unlock(&m);
	}
	abort();
}
