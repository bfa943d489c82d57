# platform/: boot protocols, firmware tables, power-off.
platform-portable := platform/bootinfo.c platform/devices.c
kernel-srcs += $(platform-portable) platform/acpi.c platform/mptable.c platform/power.c platform/topology.c platform/pci.c
host-lib-srcs += $(platform-portable)
