/*
 * The 16550 UART on COM1, polled. Interrupts come later (input for apps);
 * output only needs the transmit FIFO: check once that the transmitter
 * holding register is empty, then write up to a FIFO's worth (16 bytes).
 * Under a hypervisor every port access is an exit, so this halves them
 * compared with polling before each byte.
 *
 * There is no initialisation: every 16550 a VM meets (QEMU's, and the one
 * Firecracker and cloud-hypervisor share) comes out of reset with
 * interrupts off and transmits whatever is written to THR, whatever the
 * baud rate. Port writes cost exits, and boot time is what we sell.
 */
#include <mote/arch.h>
#include <mote/console.h>

#define COM1        0x3f8
#define UART_THR    0	/* transmit holding register */
#define UART_LSR    5
#define LSR_THRE    0x20
#define FIFO_DEPTH  16

void console_write(const char *s, size_t n)
{
	while (n) {
		size_t burst = n < FIFO_DEPTH ? n : FIFO_DEPTH;

		while (!(arch_pio_read8(COM1 + UART_LSR) & LSR_THRE))
			;
		for (size_t i = 0; i < burst; i++)
			arch_pio_write8(COM1 + UART_THR, s[i]);
		s += burst;
		n -= burst;
	}
}
