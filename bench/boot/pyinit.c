/*
 * bench-boot-pyinit: /init of the Linux guest for bench/boot's python row.
 *
 * The mote side boots an image holding python3, its libraries and
 * /usr/lib/python3.X, and runs `python3 -c "print('ready')"`. The Linux side
 * gets the same files as a squashfs disk (bench/boot/make-python.sh makes
 * both) and this program as /init (bench/linux/run-guest.sh -k -d), which
 * does what an initramfs would on a real system and nothing more:
 *
 *   load the modules of /modules/load-order (virtio, virtio-blk, squashfs:
 *   Debian's cloud kernel has them as modules), mount /dev/vda on /newroot
 *   read-only, proc and devtmpfs inside it (python reads /proc; /dev/null
 *   and friends), chroot, and run python3 as a child with mote's default
 *   environment, then end the VM with python's exit status.
 *
 * The command is fixed here, not taken from the kernel command line,
 * because run-guest.sh passes arguments as command-line words, which cannot
 * hold the quotes and parentheses of print('ready'). The same list of
 * modules, loaded the same way, as bench/fs/fs-prog.c; with a disk the
 * machine has ACPI, so virtio_mmio needs no parameters.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../linux/guest-exit.h"

#define DISK        "/dev/vda"
#define NEWROOT     "/newroot"
#define MODULES_DIR "/modules"

static _Noreturn void die(const char *what, const char *arg)
{
	printf("pyinit: %s %s: %s\n", what, arg, strerror(errno));
	guest_exit(1);
}

static void load_modules(void)
{
	char name[256], path[512];
	FILE *f = fopen(MODULES_DIR "/load-order", "r");
	if (!f)
		die("open", MODULES_DIR "/load-order (run-guest.sh -k)");
	while (fgets(name, sizeof(name), f)) {
		name[strcspn(name, "\n")] = '\0';
		if (!name[0])
			continue;
		snprintf(path, sizeof(path), "%s/%s", MODULES_DIR, name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die("open", path);
		if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)
			die("finit_module", path);
		close(fd);
	}
	fclose(f);
}

static void mount_or_die(const char *src, const char *dir, const char *type, unsigned long flags)
{
	mkdir(dir, 0755);	/* the squashfs has its mount points; the initramfs not */
	if (mount(src, dir, type, flags, NULL) < 0)
		die("mount", dir);
}

/* virtio_blk probes the disk in its init, and devtmpfs makes the node then;
 * a short wait costs nothing should it ever come later. */
static void mount_root(void)
{
	mount_or_die("devtmpfs", "/dev", "devtmpfs", 0);
	for (int i = 0; i < 200 && access(DISK, F_OK) != 0; i++)
		usleep(10000);
	mount_or_die(DISK, NEWROOT, "squashfs", MS_RDONLY);
	mount_or_die("proc", NEWROOT "/proc", "proc", 0);
	mount_or_die("devtmpfs", NEWROOT "/dev", "devtmpfs", 0);
	if (chroot(NEWROOT) < 0 || chdir("/") < 0)
		die("chroot", NEWROOT);
}

/* python3 as a child (pid 1 must stay to end the VM); its exit status. */
static int run_python(void)
{
	char *const argv[] = { "python3", "-c", "print('ready')", NULL };
	char *const envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=mote", "HOME=/",
			       NULL };
	pid_t pid = fork();
	if (pid < 0)
		die("fork", "");
	if (pid == 0) {
		execve("/usr/bin/python3", argv, envp);
		die("exec", "/usr/bin/python3");
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid", "");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(void)
{
	mkdir("/proc", 0755);
	if (mount("proc", "/proc", "proc", 0, NULL) < 0)
		die("mount", "/proc");
	load_modules();
	mount_root();
	guest_exit(run_python());
}
