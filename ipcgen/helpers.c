/*
 * helpers.c: the threads that work beside the main one.
 *
 * A large unit's run hands a few tasks to other processors: the second half
 * of a file's parse, the fingerprints while the C names are claimed, the
 * output files.  A thread started for each took long to begin where the
 * processors are virtual: a processor left idle stops, and waking it for a
 * new thread took 0.1 to 5 ms (2 on average) on the machine the benchmarks
 * run on, several times a run.  So the helpers are started once, by the
 * first task, and between tasks each waits spinning, for up to SPIN_MS,
 * before it sleeps: its processor stays awake through the gaps between the
 * phases of a run, and a task is taken within a microsecond.  A caller
 * waiting for its task spins likewise.  A task no helper has taken yet
 * when its caller needs it is run by the caller, so a late helper costs no
 * more than having none.
 */
#include <pthread.h>
#include <time.h>

#include "ipcgen.h"

#define SPIN_MS 2      /* the longest a thread waits spinning */
#define MAX_HELPERS 3

enum { TASK_QUEUED, TASK_RUNNING, TASK_DONE };

static struct {
	pthread_mutex_t lock;
	pthread_cond_t more;         /* a task was queued */
	pthread_cond_t done;         /* a task was done */
	struct task *head, **tail;   /* the queue (under lock) */
	unsigned queued;             /* its length (atomically; written under lock) */
	unsigned helpers;            /* started (main thread only) */
	bool tried;                  /* started, or failed to (main thread only) */
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
          NULL, &pool.head, 0, 0, false};

static void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Spins until done(arg) is true or SPIN_MS have passed; whether it is. */
static bool spin(bool (*done)(const void *), const void *arg)
{
	uint64_t end = 0;
	for (unsigned i = 0;; i++) {
		if (done(arg))
			return true;
		if ((i & 255) == 0) {   /* the clock now and then: it costs a system call's worth */
			uint64_t t = now_ns();
			if (!end)
				end = t + (uint64_t)SPIN_MS * 1000000u;
			else if (t >= end)
				return false;
		}
		relax();
	}
}

static bool queue_nonempty(const void *arg)
{
	(void)arg;
	return __atomic_load_n(&pool.queued, __ATOMIC_ACQUIRE) != 0;
}

static bool task_done(const void *arg)
{
	const struct task *t = arg;
	return __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) == TASK_DONE;
}

/* The first queued task, now running; with pool.lock held, the queue not empty. */
static struct task *pop(void)
{
	struct task *t = pool.head;
	pool.head = t->next;
	if (!pool.head)
		pool.tail = &pool.head;
	__atomic_store_n(&pool.queued, pool.queued - 1, __ATOMIC_RELEASE);
	__atomic_store_n(&t->state, TASK_RUNNING, __ATOMIC_RELAXED);
	return t;
}

static void *helper(void *arg)
{
	(void)arg;
	for (;;) {
		spin(queue_nonempty, NULL);
		pthread_mutex_lock(&pool.lock);
		while (!pool.head)
			pthread_cond_wait(&pool.more, &pool.lock);
		struct task *t = pop();
		pthread_mutex_unlock(&pool.lock);
		t->fn(t->arg);
		__atomic_store_n(&t->state, TASK_DONE, __ATOMIC_RELEASE);
		pthread_mutex_lock(&pool.lock);
		pthread_cond_broadcast(&pool.done);
		pthread_mutex_unlock(&pool.lock);
	}
	return NULL;
}

unsigned helpers_start(void)
{
	if (!pool.tried) {
		pool.tried = true;
		unsigned want = ipcgen_nthreads() - 1;
		if (want > MAX_HELPERS)
			want = MAX_HELPERS;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		for (; pool.helpers < want; pool.helpers++) {
			pthread_t th;
			if (pthread_create(&th, &attr, helper, NULL) != 0)
				break;      /* fewer helpers, the same work */
		}
		pthread_attr_destroy(&attr);
	}
	return pool.helpers;
}

void task_start(struct task *t, void (*fn)(void *), void *arg)
{
	*t = (struct task){.fn = fn, .arg = arg, .state = TASK_QUEUED};
	if (!helpers_start())
		return;     /* task_join runs it */
	pthread_mutex_lock(&pool.lock);
	*pool.tail = t;
	pool.tail = &t->next;
	__atomic_store_n(&pool.queued, pool.queued + 1, __ATOMIC_RELEASE);
	pthread_cond_signal(&pool.more);
	pthread_mutex_unlock(&pool.lock);
}

void task_join(struct task *t)
{
	pthread_mutex_lock(&pool.lock);
	if (__atomic_load_n(&t->state, __ATOMIC_RELAXED) == TASK_QUEUED) {
		/* Not taken (or no helper): the caller runs it. */
		struct task **p = &pool.head;
		while (*p && *p != t)
			p = &(*p)->next;
		if (*p) {
			*p = t->next;
			if (!*p)
				pool.tail = p;
			__atomic_store_n(&pool.queued, pool.queued - 1, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&pool.lock);
		t->fn(t->arg);
		t->state = TASK_DONE;
		return;
	}
	pthread_mutex_unlock(&pool.lock);
	if (spin(task_done, t))
		return;
	pthread_mutex_lock(&pool.lock);
	while (!task_done(t))
		pthread_cond_wait(&pool.done, &pool.lock);
	pthread_mutex_unlock(&pool.lock);
}
