/*
 * Per-CPU one-shot timers (see mote/timer.h). Each CPU keeps its armed
 * timers in a red-black tree ordered by deadline (ties by address, so
 * every key is unique) and the hardware timer programmed for the first
 * one only: nothing ticks while nothing is due.
 */
#include <lib/rbtree.h>
#include <mote/arch.h>
#include <mote/clock.h>
#include <mote/irq.h>
#include <mote/percpu.h>
#include <mote/timer.h>

struct timer_cpu {
	struct rb_tree tree;
	struct timer *first;
};

static struct timer_cpu timer_cpus[MAX_CPUS];

static int timer_order(const void *key, const struct rb_node *node)
{
	const struct timer *a = key, *b = rb_entry(node, struct timer, node);

	if (a->deadline != b->deadline)
		return a->deadline < b->deadline ? -1 : 1;
	return a < b ? -1 : a > b ? 1 : 0;
}

static void program(struct timer_cpu *tc)
{
	struct rb_node *n = rb_first(&tc->tree);

	tc->first = n ? rb_entry(n, struct timer, node) : 0;
	if (tc->first)
		arch_timer_arm(clock_ns_to_cycles(tc->first->deadline));
	else
		arch_timer_stop();
}

void timer_init(struct timer *t, timer_fn fn, void *data)
{
	*t = (struct timer){ .fn = fn, .data = data };
}

static void remove_locked(struct timer_cpu *tc, struct timer *t)
{
	rb_erase(&tc->tree, &t->node);
	t->armed = false;
}

void timer_arm(struct timer *t, uint64_t deadline)
{
	unsigned long flags = arch_irq_save();
	struct timer_cpu *tc = cpu_self()->timers;

	if (t->armed)
		remove_locked(&timer_cpus[t->cpu], t);
	t->deadline = deadline;
	t->cpu = cpu_self()->id;
	t->armed = true;
	rb_insert(&tc->tree, &t->node, t, timer_order);
	if (tc->first != rb_entry(rb_first(&tc->tree), struct timer, node))
		program(tc);
	arch_irq_restore(flags);
}

bool timer_cancel(struct timer *t)
{
	unsigned long flags = arch_irq_save();
	bool was = t->armed;

	if (was) {
		struct timer_cpu *tc = &timer_cpus[t->cpu];

		remove_locked(tc, t);
		if (tc->first == t)
			program(tc);
	}
	arch_irq_restore(flags);
	return was;
}

/* The timer interrupt: run everything due, then program the next deadline. */
static void timer_interrupt(unsigned vector, void *ctx)
{
	struct timer_cpu *tc = cpu_self()->timers;
	struct rb_node *n;

	(void)vector;
	(void)ctx;
	while ((n = rb_first(&tc->tree))) {
		struct timer *t = rb_entry(n, struct timer, node);

		if (t->deadline > clock_monotonic_ns())
			break;
		remove_locked(tc, t);
		t->fn(t);
	}
	program(tc);
}

void timer_cpu_init(void)
{
	struct cpu *c = cpu_self();

	c->timers = &timer_cpus[c->id];
	rb_init(&c->timers->tree);
	if (c->id == 0)
		irq_set_handler(IRQ_VECTOR_TIMER, timer_interrupt, 0);
}
