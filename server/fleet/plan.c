/*
 * plan.c - what installing a model version on a device would take, before
 * anything is sent: does it fit, which artifact, how many bytes and CoAP
 * blocks, how long on the device's link.
 *
 * The fit comes from the version's stored report, which already holds the
 * fit on every catalog profile, checked again against what the device
 * itself reported (its RAM and flash budgets, the kernels its runtime
 * carries). The size is the package of the device's profile when that
 * compilation exists, else the report's estimate, plus the signed
 * trailer. A Block2 transfer is stop-and-wait: each block costs one round
 * trip plus its bytes on the wire, which is what the estimate adds up.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../api/api.h"
#include "tml/target.h"

static const tml_fleet_link_t links[] = {
    {"loopback", 1, 100000},   {"ethernet", 5, 10000}, {"wifi", 20, 5000},
    {"lte-m", 150, 300},       {"nb-iot", 1500, 25},   {"thread", 60, 100},
    {"ble", 50, 250},
};
#define DEFAULT_LINK "lte-m"
#define COAP_OVERHEAD_BYTES 48 /* IP, UDP, CoAP header and options per block */

const tml_fleet_link_t *tml_fleet_link_find(const char *name)
{
    if (!name || !*name)
        name = DEFAULT_LINK;
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
        if (!strcmp(links[i].name, name))
            return &links[i];
    return NULL;
}

json_t *tml_fleet_links_json(void)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
        json_array_append_new(arr, json_pack("{s:s, s:f, s:f}", "name", links[i].name, "rtt_ms",
                                             links[i].rtt_ms, "kbps", links[i].kbps));
    return arr;
}

/* Whether the string array arr holds s. */
static bool has_string(json_t *arr, const char *s)
{
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) if (json_is_string(e) && !strcmp(json_string_value(e), s)) return true;
    return false;
}

/* Refusal reason from the device's own report, "" when it has no objection. */
static void device_check(json_t *report, json_t *entry, json_t *caps, char *why, size_t cap)
{
    why[0] = '\0';
    json_int_t ram = json_integer_value(json_object_get(entry, "ram_bytes"));
    json_int_t flash = json_integer_value(json_object_get(entry, "flash_bytes"));
    json_t *dev_ram = json_object_get(caps, "model_ram_bytes");
    json_t *dev_flash = json_object_get(caps, "model_flash_bytes");
    if (json_is_integer(dev_ram) && ram > json_integer_value(dev_ram)) {
        snprintf(why, cap, "needs %lld bytes of RAM, the device reports %lld available", (long long)ram,
                 (long long)json_integer_value(dev_ram));
        return;
    }
    if (json_is_integer(dev_flash) && flash > json_integer_value(dev_flash)) {
        snprintf(why, cap, "needs %lld bytes of flash, the device reports %lld available", (long long)flash,
                 (long long)json_integer_value(dev_flash));
        return;
    }
    json_t *kernels = json_object_get(caps, "kernels");
    if (!json_is_array(kernels) || json_array_size(kernels) == 0)
        return;
    size_t i, k;
    json_t *op, *kn;
    json_array_foreach(json_object_get(report, "ops"), i, op) {
        json_array_foreach(json_object_get(op, "kernels"), k, kn) {
            const char *name = json_string_value(kn);
            if (name && !has_string(kernels, name)) {
                snprintf(why, cap, "op %s needs kernel %s, which the device's runtime does not have",
                         json_string_value(json_object_get(op, "op")), name);
                return;
            }
        }
    }
}

json_t *tml_fleet_plan_device(tml_service_t *svc, const tml_version_rec_t *v, const tml_device_rec_t *d)
{
    json_t *out = json_pack("{s:s, s:s, s:s}", "endpoint", d->endpoint, "profile", d->profile, "state", d->state);
    json_t *report = tml_api_parse_stored(v->report_json);
    json_t *caps = tml_api_parse_stored(d->capabilities_json);
    char why[300] = "";
    json_t *entry = NULL, *e;
    size_t i;
    json_array_foreach(json_object_get(report, "targets"), i, e) {
        const char *t = json_string_value(json_object_get(e, "target"));
        if (t && !strcmp(t, d->profile))
            entry = e;
    }
    if (!d->profile[0] || !tml_target_find(d->profile))
        snprintf(why, sizeof(why), "the device reports no ML Capabilities profile this service knows");
    else if (json_is_string(json_object_get(report, "error")))
        snprintf(why, sizeof(why), "the compiler cannot take this model: %s",
                 json_string_value(json_object_get(report, "error")));
    else if (!entry)
        snprintf(why, sizeof(why), "no report for profile %s", d->profile);
    else if (!json_is_true(json_object_get(entry, "fits")))
        snprintf(why, sizeof(why), "does not fit %s: %s", d->profile,
                 json_string_value(json_object_get(entry, "reason")) ? json_string_value(json_object_get(entry, "reason"))
                                                                     : "over budget");
    else
        device_check(report, entry, caps, why, sizeof(why));
    if (entry) {
        const char *keys[] = {"ram_bytes", "ram_budget", "flash_bytes", "flash_budget", "latency_ms"};
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
            json_object_set(out, keys[k], json_object_get(entry, keys[k]));
    }
    json_object_set_new(out, "fits", json_boolean(why[0] == '\0'));
    if (why[0]) {
        json_object_set_new(out, "reason", json_string(why));
    } else {
        /* The artifact: this profile's compilation when it exists. */
        char key[65];
        tml_jobs_cache_key(v->sha256, d->profile, "{}", key);
        tml_compilation_rec_t c;
        tml_err_t err;
        tml_err_clear(&err);
        int64_t bytes = json_integer_value(json_object_get(report, "package_bytes"));
        bool exact = false;
        json_t *art = json_pack("{s:s, s:s}", "backend", "package", "target", d->profile);
        if (tml_store_call(svc->store, compilation_find, v->tenant_id, v->id, key, &c, &err) == TML_OK) {
            json_object_set_new(art, "compilation_id", json_integer(c.id));
            json_object_set_new(art, "state", json_string(tml_job_state_name(c.state)));
            if (c.pkg_sha256[0]) {
                json_object_set_new(art, "package_sha256", json_string(c.pkg_sha256));
                bytes = c.pkg_size;
                exact = true;
            }
            tml_compilation_rec_free(&c);
        } else {
            json_object_set_new(art, "compilation_id", json_null());
        }
        bytes += TML_SPKG_TRAILER_LEN;
        json_object_set_new(art, "bytes", json_integer(bytes));
        json_object_set_new(art, "size_exact", json_boolean(exact));
        json_object_set_new(out, "artifact", art);
        int64_t blocks = (bytes + TML_FLEET_BLOCK_BYTES - 1) / TML_FLEET_BLOCK_BYTES;
        const tml_fleet_link_t *l = tml_fleet_link_find(d->link);
        bool assumed = !d->link[0] || !l;
        if (!l)
            l = tml_fleet_link_find(NULL);
        double secs = (double)blocks * l->rtt_ms / 1000.0 +
                      (double)(bytes + blocks * COAP_OVERHEAD_BYTES) * 8.0 / (l->kbps * 1000.0);
        json_object_set_new(out, "coap_blocks", json_integer(blocks));
        json_object_set_new(out, "block_bytes", json_integer(TML_FLEET_BLOCK_BYTES));
        json_object_set_new(out, "link", json_pack("{s:s, s:f, s:f, s:b}", "name", l->name, "rtt_ms", l->rtt_ms,
                                                   "kbps", l->kbps, "assumed", assumed));
        json_object_set_new(out, "transfer_s", json_real(round(secs * 1000.0) / 1000.0));
    }
    json_decref(report);
    json_decref(caps);
    return out;
}
