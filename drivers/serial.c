/*
 * The 16550 UART on COM1, polled. Interrupts come later (input for apps);
 * output only needs the transmit FIFO: check once that the transmitter
 * holding register is empty, then write up to a FIFO's worth (16 bytes).
 * Under a hypervisor every port access is an exit, so this halves them
 * compared with polling before each byte.
 */
#include <mote/arch.h>
#include <mote/console.h>

#define COM1        0x3f8
#define UART_THR    0	/* transmit holding register */
#define UART_IER    1
#define UART_FCR    2
#define UART_LCR    3
#define UART_MCR    4
#define UART_LSR    5
#define UART_DLL    0	/* with LCR.DLAB set */
#define UART_DLM    1
#define LSR_THRE    0x20
#define FIFO_DEPTH  16

void console_init(void)
{
	arch_pio_write8(COM1 + UART_IER, 0);
	arch_pio_write8(COM1 + UART_LCR, 0x80);	/* DLAB: set the divisor */
	arch_pio_write8(COM1 + UART_DLL, 1);		/* 115200 baud */
	arch_pio_write8(COM1 + UART_DLM, 0);
	arch_pio_write8(COM1 + UART_LCR, 0x03);	/* 8 bits, no parity, 1 stop */
	arch_pio_write8(COM1 + UART_FCR, 0x07);	/* enable and clear the FIFOs */
	arch_pio_write8(COM1 + UART_MCR, 0x03);	/* DTR, RTS */
}

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
