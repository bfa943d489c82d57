/*
 * The 16550 UART on COM1 (see serial.h).
 *
 * Output is polled: check once that the transmitter holding register is
 * empty, then write up to a FIFO's worth (16 bytes). Under a hypervisor
 * every port access is an exit, so this halves them compared with polling
 * before each byte.
 *
 * There is no initialisation at boot for plain output: every 16550 a VM
 * meets (QEMU's, and the one Firecracker and cloud-hypervisor share) comes
 * out of reset with interrupts off and transmits whatever is written to
 * THR, whatever the baud rate. Port writes cost exits, and boot time is
 * what we sell. Input costs nothing until something reads stdin (the
 * console sets it up then, see console.c), except one FCR write at boot
 * when the console is framed.
 */
#include <mote/arch.h>

#include "serial.h"

#define COM1        0x3f8
#define UART_THR    0	/* transmit holding register (write) */
#define UART_RBR    0	/* receive buffer register (read) */
#define UART_DLL    0	/* divisor latch, low byte (with LCR_DLAB) */
#define UART_IER    1
#define UART_DLM    1	/* divisor latch, high byte (with LCR_DLAB) */
#define UART_FCR    2
#define UART_LCR    3
#define UART_MCR    4
#define UART_LSR    5
#define IER_RDI     0x01	/* received data available (and FIFO timeout) */
#define FCR_ENABLE  0x01
#define FCR_TRIGGER_14 0xc0
#define LCR_8N1     0x03
#define LCR_DLAB    0x80
#define MCR_DTR_RTS_OUT2 0x0b
#define LSR_DR      0x01
#define LSR_THRE    0x20
#define FIFO_DEPTH  16

void serial_write(const void *buf, size_t n)
{
	const unsigned char *s = buf;

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

/*
 * A trigger level of 14 lets QEMU hand over up to 14 bytes per interrupt;
 * a shorter burst is announced by the FIFO timeout. Turning the FIFO on
 * empties it (QEMU clears both FIFOs whenever the enable bit changes), so
 * this happens before the host is allowed to send (see console.c).
 */
void serial_fifo_enable(void)
{
	arch_pio_write8(COM1 + UART_FCR, FCR_ENABLE | FCR_TRIGGER_14);
}

void serial_rx_setup(void)
{
	arch_pio_write8(COM1 + UART_LCR, LCR_DLAB);
	arch_pio_write8(COM1 + UART_DLL, 1);
	arch_pio_write8(COM1 + UART_DLM, 0);
	arch_pio_write8(COM1 + UART_LCR, LCR_8N1);
	arch_pio_write8(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
}

void serial_rx_irq(bool on)
{
	arch_pio_write8(COM1 + UART_IER, on ? IER_RDI : 0);
}

int serial_rx_byte(void)
{
	if (!(arch_pio_read8(COM1 + UART_LSR) & LSR_DR))
		return -1;
	return arch_pio_read8(COM1 + UART_RBR);
}
