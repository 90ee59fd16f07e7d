/*
 * fuzz_lwm2m_link.c - fuzz target for the CoRE link-format parser (the
 * object list of a Register request and Discover answers) and the path
 * parser, both fed bytes from the network.
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "tml/lwm2m.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tml_lwm2m_path_t p;
    if (tml_lwm2m_path_parse((const char *)data, size, &p, NULL) == TML_OK) {
        char s[32];
        tml_lwm2m_path_format(&p, s, sizeof(s));
    }
    tml_lwm2m_links_t links;
    tml_lwm2m_links_init(&links);
    if (tml_lwm2m_links_parse((const char *)data, size, &links, NULL) == TML_OK) {
        volatile size_t sink = 0;
        char v[16];
        for (size_t i = 0; i < links.n; i++) {
            sink += strlen(links.links[i].uri) + strlen(links.links[i].attrs);
            (void)tml_lwm2m_link_attr(links.links[i].attrs, "ver", v, sizeof(v));
            (void)tml_lwm2m_link_attr(links.links[i].attrs, "rt", v, sizeof(v));
        }
        (void)sink;
    }
    tml_lwm2m_links_free(&links);
    return 0;
}
