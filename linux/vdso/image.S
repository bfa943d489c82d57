/*
 * The vDSO image (build/vdso.so, checked by check.sh) inside the kernel:
 * page-aligned and padded to whole pages, so each of its pages is a frame
 * linux/vdso.c can map into a program as it is.
 */
	.section .rodata.vdso, "a"
	.balign 4096
	.globl vdso_image_start, vdso_image_end
vdso_image_start:
	.incbin VDSO_IMAGE
vdso_image_end:
	.balign 4096
