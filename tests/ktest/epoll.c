/*
 * Self-tests of timerfd and epoll: periodic and one-shot timers on both
 * clocks, epoll's level-triggered, edge-triggered and one-shot items, its
 * error cases, items dropped when their file goes, and a ping-pong stress
 * through pipes, epoll and poll that would hang on a lost wake-up (each
 * wait has a deadline, so it fails instead).
 */
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/epoll.h>
#include <mote/eventfd.h>
#include <mote/ktest.h>
#include <mote/log.h>
#include <mote/pipe.h>
#include <mote/poll.h>
#include <mote/smp.h>
#include <mote/timerfd.h>

#include "fdtest.h"

/* ---- timerfd ----------------------------------------------------------------------- */

FDTEST_INLINE long tfd_count(struct file *f, uint64_t *v)
{
	*v = 0;
	return fdtest_read(f, v, sizeof(*v));
}

KTEST(timerfd_periodic_counts)
{
	struct file *t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	struct timerfd_spec s = { 2 * NSEC_PER_MSEC, 2 * NSEC_PER_MSEC }, cur;
	uint64_t start, read_at, v;
	long n;

	FT_ASSERT(!IS_ERR(t));
	FT_EXPECT(tfd_count(t, &v) == -EAGAIN);
	start = clock_monotonic_ns();
	FT_EXPECT(timerfd_settime_k(t, 0, &s, NULL) == 0);
	thread_sleep_ns(11 * NSEC_PER_MSEC);
	FT_EXPECT(poll_file_now(t) == (POLLIN | POLLRDNORM));
	FT_EXPECT(tfd_count(t, &v) == 8);
	read_at = clock_monotonic_ns();
	FT_EXPECT(v >= 3 && v <= (read_at - start) / (2 * NSEC_PER_MSEC));
	/*
	 * The read reset the count: nothing now, unless this vCPU was held up
	 * a period or more (4 vCPUs on a 2-core host), and then only the
	 * periods since the read, not the 5 or more before it again.
	 */
	n = tfd_count(t, &v);
	FT_EXPECT(n == -EAGAIN ||
		  (n == 8 && v <= (clock_monotonic_ns() - read_at) / (2 * NSEC_PER_MSEC) + 1));
	FT_EXPECT(timerfd_gettime_k(t, &cur) == 0);
	FT_EXPECT(cur.interval_ns == 2 * NSEC_PER_MSEC);
	FT_EXPECT(cur.value_ns > 0 && cur.value_ns <= 2 * NSEC_PER_MSEC);
	s = (struct timerfd_spec){ 0, 0 };
	FT_EXPECT(timerfd_settime_k(t, 0, &s, &cur) == 0 && cur.interval_ns == 2 * NSEC_PER_MSEC);
	FT_EXPECT(timerfd_gettime_k(t, &cur) == 0 && cur.value_ns == 0 && cur.interval_ns == 0);
	file_put(t);
}

KTEST(timerfd_oneshot_blocking_and_clocks)
{
	struct file *m = timerfd_create(CLOCK_MONOTONIC, 0);
	struct file *r = timerfd_create(CLOCK_REALTIME, 0);
	struct timerfd_spec s = { 3 * NSEC_PER_MSEC, 0 };
	uint64_t start = clock_monotonic_ns(), v;
	struct thread *t;

	FT_ASSERT(!IS_ERR(m) && !IS_ERR(r));
	FT_EXPECT(IS_ERR(timerfd_create(8 /* CLOCK_REALTIME_ALARM */, 0)));
	FT_EXPECT(timerfd_settime_k(m, 0, &s, NULL) == 0);
	FT_EXPECT(tfd_count(m, &v) == 8 && v == 1);	/* blocks until it fires */
	FT_EXPECT(clock_monotonic_ns() - start >= 3 * NSEC_PER_MSEC);
	/* Absolute, on the wall clock, 2 ms from now. */
	s = (struct timerfd_spec){ clock_realtime_ns() + 2 * NSEC_PER_MSEC, 0 };
	FT_EXPECT(timerfd_settime_k(r, TFD_TIMER_ABSTIME, &s, NULL) == 0);
	FT_EXPECT(tfd_count(r, &v) == 8 && v == 1);
	/* Absolute in the past with an interval: fires at once, counting missed periods. */
	s = (struct timerfd_spec){ clock_monotonic_ns() - 10 * NSEC_PER_MSEC, NSEC_PER_MSEC };
	FT_EXPECT(timerfd_settime_k(m, TFD_TIMER_ABSTIME, &s, NULL) == 0);
	FT_EXPECT(tfd_count(m, &v) == 8 && v >= 10);
	/* Re-arming discards the count; a blocked reader is interruptible. */
	s = (struct timerfd_spec){ NSEC_PER_SEC, 0 };
	FT_EXPECT(timerfd_settime_k(m, 0, &s, NULL) == 0);
	FT_EXPECT(poll_file_now(m) == 0);
	t = thread_create(fdtest_read_u64_job, m, 0);
	FT_ASSERT(!IS_ERR(t));
	FT_EXPECT(fdtest_wait_blocked(t));
	thread_interrupt(t);
	FT_EXPECT(fdtest_join(t) == -EINTR);
	file_put(m);	/* armed when closed */
	file_put(r);
}

/* ---- epoll ------------------------------------------------------------------------------ */

static int ep_ctl(struct file *ep, int op, int fd, struct file *f, uint32_t events, uint64_t data)
{
	struct epoll_event_k ev = { events, data };

	return epoll_ctl_k(ep, op, fd, f, &ev);
}

/* epoll_ctl cases, in order: the file each names is one of these. */
enum { EP, EP2, RD, WR };

static const struct ctl_case {
	uint8_t on, op, fd, file;
	uint32_t events;
	int expect;
} ctl_cases[] = {
	{ EP, EPOLL_CTL_ADD, 3, RD, EPOLLIN, 0 },
	{ EP, EPOLL_CTL_ADD, 3, RD, EPOLLIN, -EEXIST },
	{ EP, EPOLL_CTL_ADD, 4, RD, EPOLLIN, 0 },	/* a dup: another key */
	{ EP, EPOLL_CTL_MOD, 5, RD, EPOLLIN, -ENOENT },
	{ EP, EPOLL_CTL_DEL, 3, WR, 0, -ENOENT },
	{ EP, EPOLL_CTL_ADD, 9, EP, EPOLLIN, -EINVAL },	/* itself */
	{ EP, EPOLL_CTL_ADD, 9, EP2, EPOLLIN, -EINVAL },	/* nested: not supported */
	{ RD, EPOLL_CTL_ADD, 9, WR, EPOLLOUT, -EINVAL },	/* not an epoll */
	{ EP, 7, 6, WR, EPOLLOUT, -EINVAL },
	{ EP, EPOLL_CTL_ADD, 6, WR, EPOLLOUT | EPOLLEXCLUSIVE | EPOLLONESHOT, -EINVAL },
	{ EP, EPOLL_CTL_ADD, 6, WR, EPOLLOUT | EPOLLEXCLUSIVE, 0 },
	{ EP, EPOLL_CTL_MOD, 6, WR, EPOLLOUT, -EINVAL },	/* MOD of an exclusive item */
	{ EP, EPOLL_CTL_DEL, 3, RD, 0, 0 },
	{ EP, EPOLL_CTL_DEL, 3, RD, 0, -ENOENT },
};

KTEST(epoll_ctl_errors)
{
	struct file *f[4];
	unsigned wrong = 0;

	f[EP] = epoll_create_k(0);
	f[EP2] = epoll_create_k(EPOLL_CLOEXEC);
	FT_ASSERT(!IS_ERR(f[EP]) && !IS_ERR(f[EP2]));
	FT_ASSERT(pipe_create(&f[RD], &f[WR], 0) == 0);
	FT_EXPECT(IS_ERR(epoll_create_k(1)));
	for (unsigned i = 0; i < sizeof(ctl_cases) / sizeof(ctl_cases[0]); i++) {
		const struct ctl_case *c = &ctl_cases[i];
		int r = ep_ctl(f[c->on], c->op, c->fd, f[c->file], c->events, 0);

		if (r != c->expect) {
			printk("ktest:   epoll_ctl case %u: %d, expected %d\n", i, r, c->expect);
			wrong++;
		}
	}
	FT_EXPECT(wrong == 0);
	FT_EXPECT(epoll_ctl_k(f[EP], EPOLL_CTL_ADD, 7, f[WR], NULL) == -EFAULT);
	FT_EXPECT(epoll_wait_k(f[EP], NULL, 0, 0) == -EINVAL);
	file_put(f[EP]);	/* with items still registered */
	file_put(f[EP2]);
	FT_EXPECT(fdtest_write(f[WR], "a", 1) == 1);	/* notifies nobody now */
	file_put(f[RD]);
	file_put(f[WR]);
}

KTEST(epoll_level_edge_oneshot)
{
	struct file *ep = epoll_create_k(0), *a_rd, *a_wr, *b_rd, *b_wr, *c_rd, *c_wr;
	struct epoll_event_k out[4];
	char buf[8];

	FT_ASSERT(!IS_ERR(ep));
	FT_ASSERT(pipe_create(&a_rd, &a_wr, 0) == 0);
	FT_ASSERT(pipe_create(&b_rd, &b_wr, 0) == 0);
	FT_ASSERT(pipe_create(&c_rd, &c_wr, 0) == 0);
	FT_EXPECT(ep_ctl(ep, EPOLL_CTL_ADD, 10, a_rd, EPOLLIN, 0xa) == 0);
	FT_EXPECT(ep_ctl(ep, EPOLL_CTL_ADD, 11, b_rd, EPOLLIN | EPOLLET, 0xb) == 0);
	FT_EXPECT(ep_ctl(ep, EPOLL_CTL_ADD, 12, c_rd, EPOLLIN | EPOLLONESHOT, 0xc) == 0);
	FT_EXPECT(epoll_wait_k(ep, out, 4, 0) == 0);

	/* Level-triggered: reported while readable. */
	FT_EXPECT(fdtest_write(a_wr, "xy", 2) == 2);
	FT_EXPECT(epoll_wait_k(ep, out, 4, 0) == 1 && out[0].data == 0xa && out[0].events == EPOLLIN);
	FT_EXPECT(epoll_wait_k(ep, out, 4, 0) == 1 && out[0].data == 0xa);
	FT_EXPECT(fdtest_read(a_rd, buf, sizeof(buf)) == 2);
	FT_EXPECT(epoll_wait_k(ep, out, 4, 0) == 0);

	/* Edge-triggered: once per write, though still readable. */
	FT_EXPECT(fdtest_write(b_wr, "x", 1) == 1);
	FT_EXPECT(epoll_wait_k(ep, out, 4, 0) == 1 && out[0].data == 0xb);
	FT_EXPECT(epoll_wait_k(ep, out, 4, 0) == 0);
	FT_EXPECT(fdtest_write(b_wr, "y", 1) == 1);
	FT_EXPECT(epoll_wait_k(ep, out, 4, 0) == 1 && out[0].data == 0xb);
	FT_EXPECT(epoll_wait_k(ep, out, 4, 0) == 0);

	/* One-shot: once, then silent until re-armed with MOD. */
	FT_EXPECT(fdtest_write(c_wr, "x", 1) == 1);
	FT_EXPECT(epoll_wait_k(ep, out, 4, 0) == 1 && out[0].data == 0xc);
	FT_EXPECT(fdtest_write(c_wr, "y", 1) == 1);
	FT_EXPECT(epoll_wait_k(ep, out, 4, 0) == 0);
	FT_EXPECT(ep_ctl(ep, EPOLL_CTL_MOD, 12, c_rd, EPOLLIN | EPOLLONESHOT, 0xcc) == 0);
	FT_EXPECT(epoll_wait_k(ep, out, 4, 0) == 1 && out[0].data == 0xcc);
	FT_EXPECT(epoll_wait_k(ep, out, 4, 0) == 0);

	/* Several ready, room for one at a time: none is lost. */
	FT_EXPECT(fdtest_write(a_wr, "1", 1) == 1 && fdtest_write(b_wr, "2", 1) == 1);
	FT_EXPECT(epoll_wait_k(ep, out, 1, 0) == 1);
	FT_EXPECT(epoll_wait_k(ep, out + 1, 1, 0) == 1);
	FT_EXPECT(out[0].data + out[1].data == 0xa + 0xb);

	/* Hang-up is reported without being asked for. */
	file_put(c_wr);
	FT_EXPECT(ep_ctl(ep, EPOLL_CTL_MOD, 12, c_rd, EPOLLOUT, 0xc) == 0);
	FT_EXPECT(epoll_wait_k(ep, out, 4, 0) >= 1);

	file_put(ep);
	file_put(a_rd);
	file_put(a_wr);
	file_put(b_rd);
	file_put(b_wr);
	file_put(c_rd);
}

struct ep_job {
	struct file *ep;
	struct epoll_event_k out[2];
	uint64_t deadline;
};

static void *ep_wait_job(void *arg)
{
	struct ep_job *j = arg;
	long r = epoll_wait_k(j->ep, j->out, 2, j->deadline);

	thread_clear_interrupt();
	return (void *)(intptr_t)r;
}

KTEST(epoll_wait_blocks_times_out_interrupts)
{
	struct file *ep = epoll_create_k(0), *e = eventfd_create(0, 0), *t;
	struct timerfd_spec s = { 2 * NSEC_PER_MSEC, 0 };
	struct ep_job j = { .deadline = POLL_FOREVER };
	struct thread *th;
	uint64_t start;

	FT_ASSERT(!IS_ERR(ep) && !IS_ERR(e));
	t = timerfd_create(CLOCK_MONOTONIC, 0);
	FT_ASSERT(!IS_ERR(t));
	j.ep = ep;
	FT_EXPECT(ep_ctl(ep, EPOLL_CTL_ADD, 1, e, EPOLLIN, 1) == 0);
	start = clock_monotonic_ns();
	FT_EXPECT(epoll_wait_k(ep, j.out, 2, start + 2 * NSEC_PER_MSEC) == 0);
	FT_EXPECT(clock_monotonic_ns() - start >= 2 * NSEC_PER_MSEC);

	th = thread_create(ep_wait_job, &j, 0);	/* woken by an eventfd write */
	FT_ASSERT(!IS_ERR(th));
	FT_EXPECT(fdtest_wait_blocked(th));
	FT_EXPECT(fdtest_write(e, &(uint64_t){ 1 }, 8) == 8);
	FT_EXPECT(fdtest_join(th) == 1 && j.out[0].data == 1 && j.out[0].events == EPOLLIN);
	FT_EXPECT(fdtest_read(e, &(uint64_t){ 0 }, 8) == 8);

	th = thread_create(ep_wait_job, &j, 0);	/* interrupted */
	FT_ASSERT(!IS_ERR(th));
	FT_EXPECT(fdtest_wait_blocked(th));
	thread_interrupt(th);
	FT_EXPECT(fdtest_join(th) == -EINTR);

	/* A timerfd item: woken from the timer service. */
	FT_EXPECT(ep_ctl(ep, EPOLL_CTL_ADD, 2, t, EPOLLIN, 2) == 0);
	FT_EXPECT(timerfd_settime_k(t, 0, &s, NULL) == 0);
	FT_EXPECT(epoll_wait_k(ep, j.out, 2, clock_monotonic_ns() + NSEC_PER_SEC) == 1);
	FT_EXPECT(j.out[0].data == 2);

	/* poll() on the instance sees it readable. */
	{
		short ev = POLLIN, rev = 0;

		FT_EXPECT(poll_files(&ep, &ev, &rev, 1, 0) == 1 && rev == POLLIN);
	}
	file_put(ep);
	file_put(e);
	file_put(t);
}

KTEST(epoll_item_dropped_with_its_file)
{
	struct file *ep1 = epoll_create_k(0), *ep2 = epoll_create_k(0), *rd, *wr, *rd_dup;
	struct epoll_event_k out[2];

	FT_ASSERT(!IS_ERR(ep1) && !IS_ERR(ep2));
	FT_ASSERT(pipe_create(&rd, &wr, 0) == 0);
	FT_EXPECT(ep_ctl(ep1, EPOLL_CTL_ADD, 3, rd, EPOLLIN, 1) == 0);
	FT_EXPECT(ep_ctl(ep2, EPOLL_CTL_ADD, 3, rd, EPOLLIN | EPOLLET, 2) == 0);
	FT_EXPECT(ep_ctl(ep1, EPOLL_CTL_ADD, 4, wr, EPOLLOUT, 3) == 0);
	FT_EXPECT(fdtest_write(wr, "d", 1) == 1);
	/* A descriptor closed while another still names the file: the item stays. */
	rd_dup = rd;
	file_get(rd_dup);
	file_put(rd);
	FT_EXPECT(epoll_wait_k(ep2, out, 2, 0) == 1 && out[0].data == 2);
	/* The last reference: the file leaves both instances before it is freed. */
	file_put(rd_dup);
	FT_EXPECT(epoll_wait_k(ep2, out, 2, 0) == 0);
	FT_EXPECT(epoll_wait_k(ep1, out, 2, 0) == 1 && out[0].data == 3);
	FT_EXPECT(out[0].events == (EPOLLOUT | EPOLLERR));	/* no reader left */
	file_put(wr);
	FT_EXPECT(epoll_wait_k(ep1, out, 2, 0) == 0);
	file_put(ep1);
	file_put(ep2);
}

/* ---- Ping-pong stress --------------------------------------------------------------------- */

#define PINGPONG_ROUNDS 10000	/* both threads on one CPU */
#define PINGPONG_SMP_ROUNDS 200	/* across CPUs (a cross-CPU wake-up is slow under TCG) */
#define PINGPONG_PATIENCE (2 * NSEC_PER_SEC)

struct pingpong {
	struct file *a_rd, *a_wr;	/* ping -> pong */
	struct file *b_rd, *b_wr;	/* pong -> ping */
	unsigned rounds;
	unsigned lost;
};

/* pong: waits with poll_files, echoes each byte back. */
static void *pong(void *arg)
{
	struct pingpong *p = arg;
	short ev = POLLIN, rev;
	char c;

	for (unsigned i = 0; i < p->rounds; i++) {
		if (poll_files(&p->a_rd, &ev, &rev, 1, clock_monotonic_ns() + PINGPONG_PATIENCE) != 1) {
			p->lost++;
			break;
		}
		if (fdtest_read(p->a_rd, &c, 1) != 1 || fdtest_write(p->b_wr, &c, 1) != 1)
			break;
	}
	file_put(p->b_wr);	/* ping sees EOF if pong stops early */
	return 0;
}

/* ping: waits edge-triggered in epoll, where a missed notification would stall it. */
static unsigned ping(struct pingpong *p, struct file *ep)
{
	struct epoll_event_k out;
	unsigned done;
	char c = 0;

	for (done = 0; done < p->rounds; done++) {
		c++;
		if (fdtest_write(p->a_wr, &c, 1) != 1)
			break;
		if (epoll_wait_k(ep, &out, 1, clock_monotonic_ns() + PINGPONG_PATIENCE) != 1) {
			p->lost++;
			break;
		}
		if (fdtest_read(p->b_rd, &c, 1) != 1)
			break;
	}
	return done;
}

/* Rounds completed; pong runs on the CPUs in `cpus` (NULL: any). */
static unsigned pingpong_run(unsigned rounds, const struct cpu_set *cpus, unsigned *lost)
{
	struct pingpong p = { .rounds = rounds };
	struct thread_attr attr = { .name = "pong", .affinity = cpus };
	struct file *ep = epoll_create_k(0);
	struct epoll_event_k ev = { EPOLLIN | EPOLLET, 5 };
	struct thread *t;
	unsigned done = 0;

	if (IS_ERR(ep))
		return 0;
	if (pipe_create(&p.a_rd, &p.a_wr, 0) == 0) {
		if (pipe_create(&p.b_rd, &p.b_wr, FILE_NONBLOCK) == 0) {
			if (epoll_ctl_k(ep, EPOLL_CTL_ADD, 5, p.b_rd, &ev) == 0 &&
			    !IS_ERR(t = thread_create(pong, &p, &attr))) {
				done = ping(&p, ep);
				file_put(p.a_wr);	/* pong sees EOF if ping stopped early */
				p.a_wr = NULL;
				thread_join(t, 0);
			} else {
				file_put(p.b_wr);
			}
			file_put(p.b_rd);
		}
		file_put(p.a_rd);
		if (p.a_wr)
			file_put(p.a_wr);
	}
	file_put(ep);
	*lost = p.lost;
	return done;
}

KTEST(pipe_epoll_poll_pingpong_no_lost_wakeup)
{
	struct thread *self = thread_self();
	struct cpu_set here, all;
	uint64_t start = clock_monotonic_ns();
	unsigned lost, done;

	cpu_set_clear(&here);
	cpu_set_add(&here, cpu_self()->id);
	cpu_set_fill(&all);
	FT_ASSERT(thread_set_affinity(self, &here) == 0);
	done = pingpong_run(PINGPONG_ROUNDS, &here, &lost);
	FT_EXPECT(done == PINGPONG_ROUNDS && lost == 0);
	printk("ktest:   %u pipe/epoll/poll round trips on one CPU, %lu ns each\n", done,
	       (clock_monotonic_ns() - start) / (done ? done : 1));
	thread_set_affinity(self, &all);
	if (smp_online_count() > 1) {
		done = pingpong_run(PINGPONG_SMP_ROUNDS, NULL, &lost);
		FT_EXPECT(done == PINGPONG_SMP_ROUNDS && lost == 0);
	}
}
