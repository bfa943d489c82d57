/*
 * Boot-time device facts that are not in firmware tables: the virtio-mmio
 * transports a hypervisor names on the command line, in Linux's syntax
 * `virtio_mmio.device=<size>@<base>:<irq>[:<id>]` (QEMU microvm with
 * acpi=off and Firecracker both write it). They are recorded here for the
 * virtio-mmio driver; a malformed entry is a boot error, not a guess. Also
 * the boot module check (include/abi/bundle.h, lib/bundle).
 */
#include <lib/bundle.h>
#include <lib/errno.h>
#include <lib/fmt.h>
#include <lib/parse.h>
#include <lib/string.h>
#include <mote/platform.h>

static struct mmio_device mmio_devices[PLATFORM_MAX_MMIO_DEVICES];
static unsigned nr_mmio_devices;

int mmio_device_parse(const char *spec, struct mmio_device *dev)
{
	const char *p;
	uint64_t size, base, irq, id = UINT32_MAX;

	if (parse_size(spec, &p, &size) || *p++ != '@' || parse_u64(p, &p, &base) ||
	    *p++ != ':' || parse_u64(p, &p, &irq))
		return -EINVAL;
	if (*p == ':' && parse_u64(p + 1, &p, &id))
		return -EINVAL;
	if (*p || !size || base + size < base || irq > 255 || id > UINT32_MAX)
		return -EINVAL;
	*dev = (struct mmio_device){ .base = base, .size = size, .irq = irq, .id = id };
	return 0;
}

int platform_record_mmio_device(const char *spec, struct boot_error *err)
{
	struct mmio_device dev;

	if (mmio_device_parse(spec, &dev)) {
		fmt_snprintf(err->message, sizeof(err->message),
			     "bad virtio_mmio.device=%s (want <size>@<base>:<irq>[:<id>])", spec);
		return -EINVAL;
	}
	if (nr_mmio_devices == PLATFORM_MAX_MMIO_DEVICES) {
		fmt_snprintf(err->message, sizeof(err->message),
			     "more than %d virtio_mmio.device entries", PLATFORM_MAX_MMIO_DEVICES);
		return -EINVAL;
	}
	if (dev.id == UINT32_MAX)
		dev.id = nr_mmio_devices;
	mmio_devices[nr_mmio_devices++] = dev;
	return 0;
}

unsigned platform_mmio_devices(const struct mmio_device **list)
{
	*list = mmio_devices;
	return nr_mmio_devices;
}

/* The module is checked whole before anything uses it: lib/bundle is the one parser. */
int bundle_check(const void *data, uint64_t size, struct boot_error *err)
{
	struct bundle_reader r;

	if (!bundle_validate(&r, data, size))
		return 0;
	fmt_snprintf(err->message, sizeof(err->message), "%s", r.why);
	return -EINVAL;
}
