/*
 * firmware_elf.c - section sizes of a firmware image, read from its ELF32
 * section table (what `arm-none-eabi-size -A` shows, but split the way a
 * flash/RAM budget needs: rodata apart from text, the stack apart from bss).
 *
 * Only allocated sections count. A section is classified by its flags:
 * NOBITS -> bss (".stack" -> stack), executable -> text, writable -> data,
 * anything else -> rodata. Every offset is bounds-checked: the file is our
 * compiler's output, but a damaged one must give an error, not a crash.
 */
#include <string.h>

#include "tml/firmware.h"

#define EI_NIDENT 16
#define ELFCLASS32 1
#define ELFDATA2LSB 1
#define EM_ARM 40
#define SHT_NOBITS 8
#define SHF_WRITE 0x1u
#define SHF_ALLOC 0x2u
#define SHF_EXECINSTR 0x4u
#define SHDR_LEN 40u

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Adds without wrapping; a sum past 4 GiB is corrupt anyway. */
static tml_status_t add_size(uint32_t *total, uint32_t size, tml_err_t *err)
{
    if (*total > UINT32_MAX - size)
        return tml_err_set(err, TML_ERR_CORRUPT, "ELF: section sizes overflow");
    *total += size;
    return TML_OK;
}

tml_status_t tml_firmware_sizes_parse(const uint8_t *elf, size_t len,
                                      tml_firmware_sizes_t *sizes, tml_err_t *err)
{
    if (!elf || !sizes)
        return tml_err_set(err, TML_ERR_ARG, "ELF: NULL argument");
    memset(sizes, 0, sizeof(*sizes));
    if (len < 52 || memcmp(elf, "\177ELF", 4) != 0)
        return tml_err_set(err, TML_ERR_CORRUPT, "not an ELF file");
    if (elf[4] != ELFCLASS32 || elf[5] != ELFDATA2LSB || rd16(elf + 18) != EM_ARM)
        return tml_err_set(err, TML_ERR_CORRUPT, "not a 32-bit little-endian ARM ELF file");
    uint32_t shoff = rd32(elf + 32);
    uint16_t shentsize = rd16(elf + 46);
    uint16_t shnum = rd16(elf + 48);
    uint16_t shstrndx = rd16(elf + 50);
    if (shnum == 0 || shentsize < SHDR_LEN || shstrndx >= shnum)
        return tml_err_set(err, TML_ERR_CORRUPT, "ELF: no usable section table");
    if (shoff > len || (uint64_t)shnum * shentsize > len - shoff)
        return tml_err_set(err, TML_ERR_CORRUPT, "ELF: section table past the end of the file");

    const uint8_t *strtab_hdr = elf + shoff + (size_t)shstrndx * shentsize;
    uint32_t str_off = rd32(strtab_hdr + 16);
    uint32_t str_len = rd32(strtab_hdr + 20);
    if (str_off > len || str_len > len - str_off)
        return tml_err_set(err, TML_ERR_CORRUPT, "ELF: section names past the end of the file");
    const char *names = (const char *)elf + str_off;

    for (uint32_t i = 0; i < shnum; i++) {
        const uint8_t *sh = elf + shoff + (size_t)i * shentsize;
        uint32_t name = rd32(sh);
        uint32_t type = rd32(sh + 4);
        uint32_t flags = rd32(sh + 8);
        uint32_t size = rd32(sh + 20);
        if (!(flags & SHF_ALLOC))
            continue;
        if (name >= str_len || !memchr(names + name, '\0', str_len - name))
            return tml_err_set(err, TML_ERR_CORRUPT, "ELF: section %u has a bad name offset", i);
        uint32_t *bucket;
        if (type == SHT_NOBITS)
            bucket = strcmp(names + name, ".stack") == 0 ? &sizes->stack : &sizes->bss;
        else if (flags & SHF_EXECINSTR)
            bucket = &sizes->text;
        else if (flags & SHF_WRITE)
            bucket = &sizes->data;
        else
            bucket = &sizes->rodata;
        tml_status_t st = add_size(bucket, size, err);
        if (st != TML_OK)
            return st;
    }
    tml_status_t st = TML_OK;
    sizes->flash = sizes->text;
    if (st == TML_OK)
        st = add_size(&sizes->flash, sizes->rodata, err);
    if (st == TML_OK)
        st = add_size(&sizes->flash, sizes->data, err);
    sizes->ram = sizes->data;
    if (st == TML_OK)
        st = add_size(&sizes->ram, sizes->bss, err);
    if (st == TML_OK)
        st = add_size(&sizes->ram, sizes->stack, err);
    return st;
}

tml_status_t tml_firmware_sizes_read(const char *elf_path, tml_firmware_sizes_t *sizes,
                                     tml_err_t *err)
{
    if (!elf_path)
        return tml_err_set(err, TML_ERR_ARG, "ELF: NULL path");
    uint8_t *data = NULL;
    size_t len = 0;
    tml_status_t st = tml_file_read(elf_path, &data, &len, err);
    if (st != TML_OK)
        return st;
    st = tml_firmware_sizes_parse(data, len, sizes, err);
    tml_free(data);
    if (st != TML_OK)
        tml_err_wrap(err, "%s", elf_path);
    return st;
}
