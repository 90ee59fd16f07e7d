/*
 * targets.c - GET targets[/NAME]: the device catalog models compile for.
 */
#include "api.h"
#include "tml/target.h"

static json_t *target_json(const tml_target_t *t)
{
    json_t *features = json_array();
    static const struct { unsigned bit; const char *name; } feats[] = {
        {TML_FEAT_DSP, "dsp"}, {TML_FEAT_FPU_SP, "fpu_sp"}, {TML_FEAT_FPU_DP, "fpu_dp"},
        {TML_FEAT_DCACHE, "dcache"}, {TML_FEAT_RV_M, "rv_m"}, {TML_FEAT_TRUSTZONE, "trustzone"},
    };
    for (size_t i = 0; i < sizeof(feats) / sizeof(feats[0]); i++)
        if (t->features & feats[i].bit)
            json_array_append_new(features, json_string(feats[i].name));
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "name", t->name, "part",
                     t->part, "core", t->core, "arch", t->arch, "clock_hz", (json_int_t)t->clock_hz,
                     "sram_bytes", (json_int_t)t->sram_bytes, "flash_bytes",
                     (json_int_t)t->flash_bytes, "model_ram_bytes", (json_int_t)t->model_ram_bytes,
                     "model_flash_bytes", (json_int_t)t->model_flash_bytes, "features", features,
                     "qemu_machine", t->qemu_machine ? json_string(t->qemu_machine) : json_null());
}

void tml_api_targets_list(tml_http_req_t *req, tml_http_resp_t *resp)
{
    (void)req;
    size_t n;
    const tml_target_t *list = tml_target_list(&n);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, target_json(&list[i]));
    tml_http_json(resp, 200, json_pack("{s:o}", "targets", arr));
}

void tml_api_targets_get(tml_http_req_t *req, tml_http_resp_t *resp)
{
    const tml_target_t *t = tml_target_find(req->params[0]);
    if (!t) {
        tml_http_error(resp, 404, "unknown target '%s' (GET /api/v1/targets lists them)", req->params[0]);
        return;
    }
    tml_http_json(resp, 200, target_json(t));
}
