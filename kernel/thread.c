/*
 * Kernel threads: creation, stacks, exit, join (see mote/thread.h).
 *
 * Stacks. The stack area (mote/layout.h) is cut into 1 MiB slots, one per
 * thread, found through a bitmap. A stack is mapped page by page at the
 * top of its slot; the rest of the slot is never mapped, so an overflow
 * runs into at least one unmapped page and faults (the exception lands on
 * an IST stack, so the fault is reported, not turned into a triple fault),
 * and the fault handler can tell from the address alone whose guard was
 * hit. Pages come one at a time from the page allocator: a stack needs no
 * physically contiguous memory. The last few default-sized stacks of dead
 * threads stay mapped in a small cache, so a create/join cycle usually
 * costs no page-table work. A page table of the stack area is freed with
 * the last stack it maps.
 *
 * Unmapping a stack shoots its translations down on every CPU before
 * arch_unmap_pages() returns (mote/arch.h), under stack_lock: the
 * shootdown's waiters serve requests while spinning, so holding a lock
 * across it is allowed. Slots are still reused round-robin (slot_take).
 *
 * Exit. A thread cannot free the stack it runs on. thread_exit() marks it
 * dead and switches away for good; the next thread to run on that CPU
 * calls thread_switched_out_dead(), which frees a detached thread or
 * wakes the joiner, who frees it. So a thread is freed exactly once, by
 * whoever comes last of "it has left its stack" and "nobody will ask for
 * its exit value".
 *
 * Locks: stack_lock (the slots, the cache and the stack area's page
 * tables) and list_lock (every thread, for the count and the fault
 * report) are leaves; a thread's own lock orders its exit against
 * join/detach and is taken before run queue locks.
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/arch.h>
#include <mote/irq.h>
#include <mote/layout.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/sched.h>
#include <mote/thread.h>
#include <mote/usermode.h>

#define NR_SLOTS        (THREAD_STACK_AREA / THREAD_STACK_SLOT)
#define STACK_CACHE_MAX 16

static struct spinlock stack_lock = SPINLOCK_INIT("thread stacks", SPIN_RANK_LEAF);
static uint64_t slot_used[NR_SLOTS / 64];
static unsigned slot_hint;		/* where the round-robin search starts */
static uintptr_t stack_cache;		/* tops of cached stacks, linked through their last word */
static unsigned stack_cache_count;

static struct spinlock list_lock = SPINLOCK_INIT("thread list", SPIN_RANK_LEAF);
static struct list_node all_threads = LIST_INIT(all_threads);
static unsigned live_threads;
static uint64_t next_tid = 1;

/* ---- Stack slots and pages (stack_lock held) ----------------------------- */

/*
 * Slots are handed out round-robin from a cursor, not lowest-first. TLB
 * shootdown makes quick reuse safe, so this is no longer needed for
 * correctness; it is kept because it costs nothing and turns a late access
 * to a dead thread's stack (threads read each other's stacks: wait-queue
 * nodes live there) into a fault in an unowned slot, which the fault report
 * names, rather than a silent write into a new thread's stack.
 */
static int slot_take(void)
{
	for (unsigned n = 0; n < NR_SLOTS; n++) {
		unsigned slot = (slot_hint + n) % NR_SLOTS;

		if (slot_used[slot / 64] & (1ULL << (slot % 64)))
			continue;
		slot_used[slot / 64] |= 1ULL << (slot % 64);
		slot_hint = (slot + 1) % NR_SLOTS;
		return (int)slot;
	}
	return -EAGAIN;
}

static void slot_give(unsigned slot)
{
	slot_used[slot / 64] &= ~(1ULL << (slot % 64));
}

static uintptr_t slot_top(unsigned slot)
{
	return THREAD_STACK_BASE + (uintptr_t)(slot + 1) * THREAD_STACK_SLOT;
}

static void unmap_stack(uintptr_t bottom, size_t size)
{
	for (uintptr_t va = bottom; va < bottom + size; va += PAGE_SIZE) {
		uint64_t pa;
		unsigned prot;

		if (arch_translate(va, &pa, &prot)) {
			arch_unmap_pages(va, 1);
			page_free(mm_phys_to_virt(pa), 0);
		}
	}
	slot_give((unsigned)((bottom - THREAD_STACK_BASE) / THREAD_STACK_SLOT));
	/*
	 * The page table goes with the last stack it maps: slots advance round-robin,
	 * so tables kept would pile up over the whole area under thread churn (one
	 * page per two slots ever used) and, scattered between stack pages after a
	 * burst, leave free memory in pieces.
	 */
	void *table = arch_take_empty_table(bottom);

	if (table)
		page_free(table, 0);
}

/* Maps a fresh stack of `size` bytes (whole pages) and sets *top; 0 or a negative errno. */
static int map_stack(size_t size, uintptr_t *top_out)
{
	int slot = slot_take();
	uintptr_t top, bottom;

	if (slot < 0)
		return slot;
	top = slot_top((unsigned)slot);
	bottom = top - size;
	for (uintptr_t va = bottom; va < top; va += PAGE_SIZE) {
		void *page = page_alloc(0);

		if (!page || arch_map_pages(va, mm_virt_to_phys(page), 1,
					    ARCH_PROT_READ | ARCH_PROT_WRITE)) {
			if (page)
				page_free(page, 0);
			unmap_stack(bottom, size);
			return -ENOMEM;
		}
	}
	*top_out = top;
	return 0;
}

static int stack_get(size_t size, uintptr_t *top)
{
	unsigned long flags = spin_lock_irqsave(&stack_lock);
	int ret = 0;

	if (size == THREAD_STACK_DEFAULT && stack_cache) {
		*top = stack_cache;
		stack_cache = *(uintptr_t *)(stack_cache - sizeof(uintptr_t));
		stack_cache_count--;
	} else {
		ret = map_stack(size, top);
	}
	spin_unlock_irqrestore(&stack_lock, flags);
	return ret;
}

static void stack_put(uintptr_t bottom, size_t size)
{
	unsigned long flags = spin_lock_irqsave(&stack_lock);
	uintptr_t top = bottom + size;

	if (size == THREAD_STACK_DEFAULT && stack_cache_count < STACK_CACHE_MAX) {
		*(uintptr_t *)(top - sizeof(uintptr_t)) = stack_cache;
		stack_cache = top;
		stack_cache_count++;
	} else {
		unmap_stack(bottom, size);
	}
	spin_unlock_irqrestore(&stack_lock, flags);
}

void thread_trim(void)
{
	unsigned long flags = spin_lock_irqsave(&stack_lock);

	while (stack_cache) {
		uintptr_t top = stack_cache;

		stack_cache = *(uintptr_t *)(top - sizeof(uintptr_t));
		unmap_stack(top - THREAD_STACK_DEFAULT, THREAD_STACK_DEFAULT);
	}
	stack_cache_count = 0;
	spin_unlock_irqrestore(&stack_lock, flags);
}

/* ---- Creation ------------------------------------------------------------ */

static bool affinity_usable(const struct cpu_set *set)
{
	for (unsigned i = 0; i < cpu_count(); i++)
		if (cpu_set_has(set, i) && sched_cpu_active(i))
			return true;
	return false;
}

static void set_name(struct thread *t, const char *name)
{
	size_t n = strnlen(name, THREAD_NAME_MAX - 1);

	memcpy(t->name, name, n);
	t->name[n] = 0;
}

/* A new thread's first code, reached from the context switch. */
static void thread_entry(void *arg)
{
	struct thread *t = arg;

	sched_finish_switch();
	irq_enable();
	thread_exit(t->fn(t->arg));
}

static void list_add_thread(struct thread *t)
{
	unsigned long flags = spin_lock_irqsave(&list_lock);

	t->tid = next_tid++;
	list_add_tail(&all_threads, &t->all);
	live_threads++;
	spin_unlock_irqrestore(&list_lock, flags);
}

struct thread *thread_create(void *(*fn)(void *arg), void *arg, const struct thread_attr *attr)
{
	static const struct thread_attr defaults = { 0 };
	struct thread *t;
	uintptr_t top;
	size_t size;
	int ret;

	if (!attr)
		attr = &defaults;
	size = attr->stack_size ? (attr->stack_size + PAGE_SIZE - 1) & ~(size_t)(PAGE_SIZE - 1)
				: THREAD_STACK_DEFAULT;
	if (size > THREAD_STACK_MAX || attr->nice < THREAD_NICE_MIN ||
	    attr->nice > THREAD_NICE_MAX || (attr->affinity && !affinity_usable(attr->affinity)))
		return ERR_PTR(-EINVAL);
	t = mm_calloc(1, sizeof(*t));
	if (!t)
		return ERR_PTR(-ENOMEM);
	ret = stack_get(size, &top);
	if (ret) {
		mm_free(t);
		return ERR_PTR(ret);
	}
	spin_init(&t->lock, "thread", SPIN_RANK_THREAD);
	set_name(t, attr->name ? attr->name : "thread");
	t->fn = fn;
	t->arg = arg;
	t->nice = attr->nice;
	t->detached = attr->detached;
	t->stack_bottom = top - size;
	t->stack_size = size;
	t->state = THREAD_BLOCKED;
	if (attr->affinity)
		t->affinity = *attr->affinity;
	else
		cpu_set_fill(&t->affinity);
	list_init(&t->all);
	/* The top THREAD_STACK_RESERVE bytes hold a user thread's saved registers (usermode.h). */
	t->sp = arch_thread_init_stack((void *)(top - THREAD_STACK_RESERVE), thread_entry, t);
	list_add_thread(t);
	sched_start(t);
	return t;
}

void thread_setup_idle(struct thread *t, unsigned cpu)
{
	static const char digits[] = "0123456789";

	spin_init(&t->lock, "thread", SPIN_RANK_THREAD);
	/* "idle/N" by hand: formatting code not yet run costs boot time under emulation. */
	memcpy(t->name, "idle/", 5);
	t->name[5] = cpu >= 10 ? digits[cpu / 10 % 10] : digits[cpu];
	t->name[6] = cpu >= 10 ? digits[cpu % 10] : 0;
	t->is_idle = true;
	t->state = THREAD_RUNNABLE;
	t->cpu = cpu;
	cpu_set_clear(&t->affinity);
	cpu_set_add(&t->affinity, cpu);
	list_init(&t->all);
}

void thread_init(void)
{
	sched_cpu_init();
}

/* ---- Exit, join, detach ---------------------------------------------------- */

static void thread_free(struct thread *t)
{
	unsigned long flags = spin_lock_irqsave(&list_lock);

	list_remove(&t->all);
	live_threads--;
	spin_unlock_irqrestore(&list_lock, flags);
	stack_put(t->stack_bottom, t->stack_size);
	arch_user_context_free(t);
	mm_free(t);
}

void thread_exit(void *value)
{
	thread_self()->exit_value = value;
	sched_exit();
}

void thread_switched_out_dead(struct thread *t)
{
	struct thread *joiner;

	spin_lock(&t->lock);
	t->exited = true;
	if (t->detached) {
		spin_unlock(&t->lock);
		thread_free(t);
		return;
	}
	joiner = t->joiner;
	if (joiner)
		sched_wake(joiner);
	spin_unlock(&t->lock);
}

int thread_join(struct thread *t, void **value)
{
	unsigned long flags;

	if (t == thread_self())
		return -EDEADLK;
	flags = spin_lock_irqsave(&t->lock);
	if (t->detached || t->joining) {
		spin_unlock_irqrestore(&t->lock, flags);
		return -EINVAL;
	}
	t->joining = true;
	t->joiner = thread_self();
	while (!t->exited) {
		sched_prepare_block();
		spin_unlock(&t->lock);
		sched_block();
		spin_lock(&t->lock);
	}
	spin_unlock_irqrestore(&t->lock, flags);
	if (value)
		*value = t->exit_value;
	thread_free(t);
	return 0;
}

int thread_detach(struct thread *t)
{
	unsigned long flags = spin_lock_irqsave(&t->lock);
	bool exited = t->exited;

	if (t->detached || t->joining) {
		spin_unlock_irqrestore(&t->lock, flags);
		return -EINVAL;
	}
	t->detached = true;
	spin_unlock_irqrestore(&t->lock, flags);
	if (exited)
		thread_free(t);
	return 0;
}

/* ---- Attributes and signals ------------------------------------------------ */

void thread_set_nice(struct thread *t, int nice)
{
	if (nice < THREAD_NICE_MIN)
		nice = THREAD_NICE_MIN;
	if (nice > THREAD_NICE_MAX)
		nice = THREAD_NICE_MAX;
	sched_set_nice(t, nice);
}

int thread_set_affinity(struct thread *t, const struct cpu_set *set)
{
	if (!affinity_usable(set))
		return -EINVAL;
	sched_set_affinity(t, set);
	return 0;
}

void thread_interrupt(struct thread *t)
{
	__atomic_store_n(&t->interrupted, true, __ATOMIC_SEQ_CST);
	sched_wake(t);
}

bool thread_interrupted(void)
{
	return __atomic_load_n(&thread_self()->interrupted, __ATOMIC_SEQ_CST);
}

void thread_clear_interrupt(void)
{
	__atomic_store_n(&thread_self()->interrupted, false, __ATOMIC_SEQ_CST);
}

unsigned thread_count(void)
{
	return __atomic_load_n(&live_threads, __ATOMIC_RELAXED);
}

/* ---- Fault reports ---------------------------------------------------------- */

/* Called while panicking: takes no lock (the list may be mid-update; it is only read). */
bool thread_describe_address(uintptr_t addr)
{
	uintptr_t slot_base;
	struct list_node *n;

	if (addr < THREAD_STACK_BASE || addr >= THREAD_STACK_BASE + THREAD_STACK_AREA)
		return false;
	slot_base = addr & ~(THREAD_STACK_SLOT - 1);
	list_for_each(n, &all_threads) {
		struct thread *t = list_entry(n, struct thread, all);

		if (t->stack_bottom < slot_base || t->stack_bottom >= slot_base + THREAD_STACK_SLOT)
			continue;
		if (addr >= t->stack_bottom)
			return false;	/* inside the stack itself: not a guard hit */
		printk("  thread stack guard: stack overflow of thread %lu '%s' "
		       "(stack 0x%016lx-0x%016lx, %lu bytes below it)\n",
		       t->tid, t->name, t->stack_bottom, t->stack_bottom + t->stack_size - 1,
		       t->stack_bottom - addr);
		return true;
	}
	printk("  thread stack guard: in a thread stack slot no thread owns (a freed stack?)\n");
	return true;
}
