// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/resolve.c - worker threads doing getaddrinfo(); results come back
 * through a queue and an eventfd the event loop polls.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include "resolve.h"

struct cache_slot;

struct job {
	struct job *next;
	struct resolve_result res;
	char name[256];
	char port[8];
};

/* FIFO of jobs */
struct queue {
	struct job *head, *tail;
};

static struct queue todo, done;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t more = PTHREAD_COND_INITIALIZER;
static pthread_t *workers;
static struct cache_slot *cache;	/* answers; see resolve_cache_get() */
static int nworkers, efd = -1;
static bool stopping;

static void push(struct queue *q, struct job *j)
{
	j->next = NULL;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
}

static struct job *pop(struct queue *q)
{
	struct job *j = q->head;

	if (j) {
		q->head = j->next;
		if (!q->head)
			q->tail = NULL;
	}
	return j;
}

static void *worker(void *arg)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	uint64_t one = 1;
	struct job *j;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&lock);
		while (!todo.head && !stopping)
			pthread_cond_wait(&more, &lock);
		if (stopping) {
			pthread_mutex_unlock(&lock);
			return NULL;
		}
		j = pop(&todo);
		pthread_mutex_unlock(&lock);

		j->res.gai_err = getaddrinfo(j->name, j->port, &hints, &j->res.ai);

		pthread_mutex_lock(&lock);
		push(&done, j);
		pthread_mutex_unlock(&lock);
		if (write(efd, &one, sizeof(one)) < 0)
			perror("snigate: resolver eventfd");
	}
}

int resolve_init(int nthreads)
{
	int i;

	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0)
		return -errno;
	workers = calloc(nthreads, sizeof(*workers));
	if (!workers)
		return -ENOMEM;
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&workers[i], NULL, worker, NULL))
			break;
		nworkers++;
	}
	return nworkers ? efd : -EAGAIN;
}

void resolve_fini(void)
{
	struct job *j;
	int i;

	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_broadcast(&more);
	pthread_mutex_unlock(&lock);
	for (i = 0; i < nworkers; i++)
		pthread_join(workers[i], NULL);
	free(workers);
	while ((j = pop(&todo)))
		free(j);
	while ((j = pop(&done))) {
		if (j->res.ai)
			freeaddrinfo(j->res.ai);
		free(j);
	}
	if (efd >= 0)
		close(efd);
	efd = -1;
	free(cache);
	cache = NULL;
	nworkers = 0;
	stopping = false;
}

int resolve_submit(uint64_t id, const char *name, uint16_t port)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return -ENOMEM;
	j->res.id = id;
	snprintf(j->name, sizeof(j->name), "%s", name);
	snprintf(j->port, sizeof(j->port), "%u", port);
	pthread_mutex_lock(&lock);
	push(&todo, j);
	pthread_cond_signal(&more);
	pthread_mutex_unlock(&lock);
	return 0;
}

int resolve_take(struct resolve_result *r)
{
	uint64_t n;
	struct job *j;

	pthread_mutex_lock(&lock);
	j = pop(&done);
	pthread_mutex_unlock(&lock);
	if (!j) {
		if (read(efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
			return 0;
		/* a result may have landed between pop and read */
		pthread_mutex_lock(&lock);
		j = pop(&done);
		pthread_mutex_unlock(&lock);
		if (!j)
			return 0;
	}
	*r = j->res;
	free(j);
	return 1;
}

/* --- answers cache (event-loop thread only) ------------------------------ */

#define CACHE_SLOTS 1024	/* direct-mapped: a collision replaces */

struct cache_slot {
	char name[256];
	uint16_t port;
	uint64_t expires_ms;
	struct resolve_addrs addrs;
};

uint64_t resolve_ttl_ms = 5000;

static size_t cache_index(const char *name, uint16_t port)
{
	uint64_t h = 1469598103934665603ULL ^ port;	/* FNV-1a */

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ULL;
	return h % CACHE_SLOTS;
}

void resolve_addrs_from(const struct addrinfo *ai, struct resolve_addrs *out)
{
	out->n = 0;
	for (; ai && out->n < RESOLVE_MAX_ADDRS; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(out->a[0]))
			continue;
		memset(&out->a[out->n], 0, sizeof(out->a[0]));
		memcpy(&out->a[out->n], ai->ai_addr, ai->ai_addrlen);
		out->n++;
	}
}

int resolve_cache_get(const char *name, uint16_t port, uint64_t now_ms, struct resolve_addrs *out)
{
	struct cache_slot *s;

	if (!cache || !resolve_ttl_ms)
		return 0;
	s = &cache[cache_index(name, port)];
	if (s->port != port || now_ms >= s->expires_ms || strcmp(s->name, name) != 0)
		return 0;
	*out = s->addrs;
	return 1;
}

void resolve_cache_put(const char *name, uint16_t port, uint64_t now_ms,
		       const struct resolve_addrs *addrs)
{
	struct cache_slot *s;

	if (!resolve_ttl_ms || !addrs->n || strlen(name) >= sizeof(s->name))
		return;
	if (!cache && !(cache = calloc(CACHE_SLOTS, sizeof(*cache))))
		return;
	s = &cache[cache_index(name, port)];
	strcpy(s->name, name);
	s->port = port;
	s->expires_ms = now_ms + resolve_ttl_ms;
	s->addrs = *addrs;
}
