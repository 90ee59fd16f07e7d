/*
 * fw_io.c - console lines and whole files over semihosting. Numbers are
 * formatted by hand: printf would pull newlib's stdio (and its heap) into
 * an image whose RAM use we want to report honestly.
 */
#include "fw.h"

static void line_putc(tml_fw_line_t *line, char c)
{
    /* Keep one byte for '\n' and one for the NUL; excess is dropped. */
    if (line->len + 2 < sizeof(line->buf))
        line->buf[line->len++] = c;
}

void tml_fw_line_str(tml_fw_line_t *line, const char *s)
{
    while (*s)
        line_putc(line, *s++);
}

void tml_fw_line_u64(tml_fw_line_t *line, uint64_t value)
{
    char digits[20];
    int n = 0;
    do {
        /* 64-bit division would call __aeabi_uldivmod; fine, libgcc has it. */
        digits[n++] = (char)('0' + (int)(value % 10u));
        value /= 10u;
    } while (value != 0);
    while (n > 0)
        line_putc(line, digits[--n]);
}

void tml_fw_line_i32(tml_fw_line_t *line, int32_t value)
{
    if (value < 0) {
        line_putc(line, '-');
        tml_fw_line_u64(line, (uint64_t)(-(int64_t)value));
    } else {
        tml_fw_line_u64(line, (uint64_t)value);
    }
}

void tml_fw_line_hex(tml_fw_line_t *line, uint32_t value)
{
    static const char hex[] = "0123456789abcdef";
    tml_fw_line_str(line, "0x");
    for (int shift = 28; shift >= 0; shift -= 4)
        line_putc(line, hex[(value >> shift) & 0xFu]);
}

void tml_fw_line_end(tml_fw_line_t *line)
{
    line->buf[line->len++] = '\n';
    line->buf[line->len] = '\0';
    tml_sh_write0(line->buf);
    line->len = 0;
}

void tml_fw_report(const char *what, const char *message)
{
    tml_fw_line_t line = {.len = 0};
    tml_fw_line_str(&line, what);
    tml_fw_line_str(&line, ": ");
    tml_fw_line_str(&line, message);
    tml_fw_line_end(&line);
}

static int file_error(const char *path, const char *message)
{
    tml_fw_line_t line = {.len = 0};
    tml_fw_line_str(&line, path);
    tml_fw_line_str(&line, ": ");
    tml_fw_line_str(&line, message);
    tml_fw_line_end(&line);
    return TML_FW_EXIT_IO;
}

int tml_fw_read_file(const char *path, void *buf, uint32_t cap, uint32_t want_len,
                     uint32_t *len)
{
    int32_t handle = tml_sh_open(path, TML_SH_MODE_RB);
    if (handle < 0)
        return file_error(path, "cannot open (missing?)");
    int32_t flen = tml_sh_flen(handle);
    if (flen < 0) {
        tml_sh_close(handle);
        return file_error(path, "cannot get its length");
    }
    if (want_len != TML_FW_ANY_LEN && (uint32_t)flen != want_len) {
        tml_sh_close(handle);
        tml_fw_line_t line = {.len = 0};
        tml_fw_line_str(&line, path);
        tml_fw_line_str(&line, ": has ");
        tml_fw_line_u64(&line, (uint64_t)flen);
        tml_fw_line_str(&line, " bytes, expected ");
        tml_fw_line_u64(&line, want_len);
        tml_fw_line_end(&line);
        return TML_FW_EXIT_IO;
    }
    if ((uint32_t)flen > cap) {
        tml_sh_close(handle);
        return file_error(path, "larger than the image's buffer");
    }
    uint32_t left = flen > 0 ? tml_sh_read(handle, buf, (uint32_t)flen) : 0;
    tml_sh_close(handle);
    if (left != 0)
        return file_error(path, "short read");
    *len = (uint32_t)flen;
    return 0;
}

int tml_fw_create(const char *path, int32_t *handle)
{
    *handle = tml_sh_open(path, TML_SH_MODE_WB);
    return *handle < 0 ? file_error(path, "cannot create") : 0;
}

int tml_fw_append(int32_t handle, const char *path, const void *data, uint32_t len)
{
    if (len != 0 && tml_sh_write(handle, data, len) != 0)
        return file_error(path, "short write");
    return 0;
}

int tml_fw_close(int32_t handle, const char *path)
{
    return tml_sh_close(handle) != 0 ? file_error(path, "cannot close") : 0;
}
