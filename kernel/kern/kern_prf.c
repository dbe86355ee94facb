/*
 * kern_prf.c — the kernel's printf family and panic().
 *
 * Output goes a character at a time to rumpuser_putchar(), which the
 * platform buffers by line.  The formats are the ones kernel code uses:
 * %d %i %u %x %X %o %c %s %p %%, with flags '-' '0' ' ' '+' '#', a field
 * width and precision (numbers or *), and the length modifiers hh h l ll
 * z j t.
 */
#include "proc.h"

bool boot_verbose;

struct prf_out {
	char *po_buf; /* NULL: console, unless po_count */
	size_t po_len;
	size_t po_n;   /* characters produced */
	bool po_count; /* only count (snprintf(NULL, 0, ...)) */
};

static void
prf_putc(struct prf_out *po, char c)
{
	if (po->po_buf == NULL && !po->po_count)
		rumpuser_putchar(c);
	else if (po->po_n + 1 < po->po_len)
		po->po_buf[po->po_n] = c;
	po->po_n++;
}

static void
prf_pad(struct prf_out *po, char c, int n)
{
	while (n-- > 0)
		prf_putc(po, c);
}

static int
kvprintf(struct prf_out *po, const char *fmt, va_list ap)
{
	static const char lower[] = "0123456789abcdef";
	static const char upper[] = "0123456789ABCDEF";

	for (; *fmt; fmt++) {
		bool left = false, zero = false, alt = false;
		char sign = 0;
		int width = 0, prec = -1, lmod = 0;
		unsigned long long u;
		char num[24];
		int nl = 0;

		if (*fmt != '%') {
			prf_putc(po, *fmt);
			continue;
		}
		for (fmt++;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				zero = true;
			else if (*fmt == '#')
				alt = true;
			else if (*fmt == ' ' || *fmt == '+')
				sign = (sign == '+') ? '+' : *fmt;
			else
				break;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				left = true;
				width = -width;
			}
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				width = width * 10 + (*fmt++ - '0');
		}
		if (*fmt == '.') {
			prec = 0;
			fmt++;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					prec = prec * 10 + (*fmt++ - '0');
			}
		}
		for (;; fmt++) {
			if (*fmt == 'h')
				lmod = lmod == -1 ? -2 : -1;
			else if (*fmt == 'l')
				lmod++;
			else if (*fmt == 'z' || *fmt == 'j' || *fmt == 't')
				lmod = 2;
			else
				break;
		}
		switch (*fmt) {
		case 'c': {
			char c = (char)va_arg(ap, int);

			if (!left)
				prf_pad(po, ' ', width - 1);
			prf_putc(po, c);
			if (left)
				prf_pad(po, ' ', width - 1);
			continue;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);
			int len;

			if (s == NULL)
				s = "(null)";
			len = (int)(prec >= 0 ? strnlen(s, (size_t)prec)
			                      : strlen(s));
			if (!left)
				prf_pad(po, ' ', width - len);
			for (int i = 0; i < len; i++)
				prf_putc(po, s[i]);
			if (left)
				prf_pad(po, ' ', width - len);
			continue;
		}
		case 'd':
		case 'i': {
			long long s;

			if (lmod >= 2)
				s = va_arg(ap, long long);
			else if (lmod == 1)
				s = va_arg(ap, long);
			else
				s = va_arg(ap, int);
			if (lmod == -1)
				s = (short)s;
			else if (lmod == -2)
				s = (signed char)s;
			if (s < 0) {
				sign = '-';
				u = 0ULL - (unsigned long long)s;
			} else {
				u = (unsigned long long)s;
			}
			goto number10;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o':
		case 'p':
			if (*fmt == 'p') {
				u = (uintptr_t)va_arg(ap, void *);
				alt = true;
			} else if (lmod >= 2)
				u = va_arg(ap, unsigned long long);
			else if (lmod == 1)
				u = va_arg(ap, unsigned long);
			else
				u = va_arg(ap, unsigned int);
			if (lmod == -1)
				u = (unsigned short)u;
			else if (lmod == -2)
				u = (unsigned char)u;
			sign = 0;
			if (*fmt == 'u')
				goto number10;
			{
				unsigned base = *fmt == 'o' ? 8 : 16;
				const char *dig = *fmt == 'X' ? upper : lower;

				do {
					num[nl++] = dig[u % base];
					u /= base;
				} while (u);
				if (alt && base == 16) {
					num[nl++] = *fmt == 'X' ? 'X' : 'x';
					num[nl++] = '0';
				} else if (alt && base == 8) {
					num[nl++] = '0';
				}
			}
			goto emit;
		case '%':
			prf_putc(po, '%');
			continue;
		default:
			/* Unknown conversion: show it as written. */
			prf_putc(po, '%');
			if (*fmt == '\0')
				return (int)po->po_n;
			prf_putc(po, *fmt);
			continue;
		}
	number10:
		do {
			num[nl++] = (char)('0' + u % 10);
			u /= 10;
		} while (u);
		if (sign)
			num[nl++] = sign;
	emit : {
		int digits = nl, zeros = 0;

		if (prec > digits)
			zeros = prec - digits;
		else if (zero && !left && prec < 0 && width > nl)
			zeros = width - nl;
		if (!left)
			prf_pad(po, ' ', width - nl - zeros);
		/* A sign or 0x prefix goes before the zeros. */
		if (zeros && nl > 0 &&
		    (num[nl - 1] == '-' || num[nl - 1] == '+' ||
		        num[nl - 1] == ' '))
			prf_putc(po, num[--nl]);
		if (zeros && nl > 1 &&
		    (num[nl - 2] == 'x' || num[nl - 2] == 'X')) {
			prf_putc(po, num[--nl]);
			prf_putc(po, num[--nl]);
		}
		prf_pad(po, '0', zeros);
		while (nl > 0)
			prf_putc(po, num[--nl]);
		if (left)
			prf_pad(po, ' ', width - digits - zeros);
	}
	}
	return (int)po->po_n;
}

int
vprintf(const char *fmt, va_list ap)
{
	struct prf_out po = {NULL, 0, 0, false};

	return kvprintf(&po, fmt, ap);
}

int
printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

int
vsnprintf(char *buf, size_t len, const char *fmt, va_list ap)
{
	struct prf_out po = {buf, buf == NULL ? 0 : len, 0, true};
	int n = kvprintf(&po, fmt, ap);

	if (buf != NULL && len > 0)
		buf[MIN(po.po_n, len - 1)] = '\0';
	return n;
}

int
snprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n;
}

void
panic(const char *fmt, ...)
{
	va_list ap;

	printf("panic: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	rumpuser_exit(RUMPUSER_PANIC);
}
