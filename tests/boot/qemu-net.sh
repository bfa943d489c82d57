#!/bin/bash
# A stand-in QEMU for the virtio-net boot tests: runs the real one
# ($VNET_QEMU, else qemu-system-x86_64) with the arguments `mote run` built
# plus $VNET_ARGS (a user-networking NIC), until `mote run` can attach one.
exec "${VNET_QEMU:-qemu-system-x86_64}" "$@" ${VNET_ARGS:-}
