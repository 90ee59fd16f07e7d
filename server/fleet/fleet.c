/*
 * fleet.c - the LwM2M thread (see fleet.h): the signing key, registrations
 * into device records, the ML Inference observation into inference rows.
 *
 * Every registration updates (or creates, in the admin tenant) the record
 * of its endpoint; the reads the server library makes on registration
 * (/3/0 and ML Capabilities /32101/0) become the record's profile and
 * capabilities. Then /32102/0/5 (inference count) is observed; each
 * notification schedules a read of the whole /32102/0 instance, whose
 * values are stored as one inference result. Requests are only issued
 * from the loop, never from inside a library callback.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../service_internal.h"
#include "tml/target.h"

#define INFERENCES_KEPT 1000 /* per device */

struct fleet_dev {
    fleet_dev_t *next;
    tml_fleet_t *f;
    char endpoint[TML_STORE_NAME_MAX];
    bool has_ml_infer;       /* registered object 32102 */
    bool want_observe;       /* observe once the loop runs */
    bool observing;
    uint32_t obs_id;
    bool read_due;           /* a notification came: read /32102/0 */
    bool reading;
    int64_t last_count;
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- the signing key ------------------------------------------------------ */

static tml_status_t load_key(tml_fleet_t *f, const char *data_dir, tml_err_t *err)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/signing-key", data_dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, f->sk, sizeof(f->sk));
        close(fd);
        if (n != (ssize_t)sizeof(f->sk))
            return tml_err_set(err, TML_ERR_CORRUPT, "%s: expected %zu bytes of Ed25519 secret key",
                               path, sizeof(f->sk));
        crypto_sign_ed25519_sk_to_pk(f->pk, f->sk);
    } else if (errno == ENOENT) {
        tml_status_t st = tml_spkg_keypair(f->pk, f->sk);
        if (st != TML_OK)
            return tml_err_set(err, st, "generating the signing key");
        char tmp[4300];
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
            return tml_err_set(err, TML_ERR_IO, "%s: %s", tmp, strerror(errno));
        bool ok = write(fd, f->sk, sizeof(f->sk)) == (ssize_t)sizeof(f->sk) && fsync(fd) == 0;
        close(fd);
        if (!ok || rename(tmp, path) != 0)
            return tml_err_set(err, TML_ERR_IO, "writing %s: %s", path, strerror(errno));
        TML_LOGI("fleet", "created the package signing key %s", path);
    } else {
        return tml_err_set(err, TML_ERR_IO, "%s: %s", path, strerror(errno));
    }
    tml_hex_encode(f->pk, sizeof(f->pk), f->key_hex);
    return TML_OK;
}

/* ---- devices ---------------------------------------------------------------- */

static fleet_dev_t *dev_get(tml_fleet_t *f, const char *endpoint)
{
    for (fleet_dev_t *d = f->devs; d; d = d->next)
        if (!strcmp(d->endpoint, endpoint))
            return d;
    fleet_dev_t *d = tml_calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->f = f;
    d->last_count = -1;
    snprintf(d->endpoint, sizeof(d->endpoint), "%s", endpoint);
    d->next = f->devs;
    f->devs = d;
    return d;
}

static const tml_lwm2m_value_t *res(const tml_lwm2m_records_t *recs, uint16_t obj, uint16_t r)
{
    tml_lwm2m_path_t p = tml_lwm2m_path_make(3, obj, 0, r, 0);
    const tml_lwm2m_record_t *rec = tml_lwm2m_records_find(recs, &p);
    return rec ? &rec->v : NULL;
}

static void put_str(json_t *o, const char *key, const tml_lwm2m_value_t *v)
{
    char buf[256];
    if (v && tml_lwm2m_value_str(v, buf, sizeof(buf)) == TML_OK)
        json_object_set_new(o, key, json_string(buf));
}

static void put_int(json_t *o, const char *key, const tml_lwm2m_value_t *v)
{
    int64_t i;
    if (v && tml_lwm2m_value_int(v, &i) == TML_OK)
        json_object_set_new(o, key, json_integer(i));
}

/* Every instance of a multiple resource as an array of strings. */
static json_t *str_list(const tml_lwm2m_records_t *recs, uint16_t obj, uint16_t r)
{
    json_t *arr = json_array();
    char buf[128];
    for (size_t i = 0; i < recs->n; i++) {
        const tml_lwm2m_record_t *rec = &recs->recs[i];
        if (rec->path.len == 4 && rec->path.id[0] == obj && rec->path.id[2] == r &&
            tml_lwm2m_value_str(&rec->v, buf, sizeof(buf)) == TML_OK)
            json_array_append_new(arr, json_string(buf));
    }
    return arr;
}

/* The capabilities JSON of a device from what it answered at registration;
 * profile receives its catalog profile ("" when it reports none we know). */
static char *caps_json(const tml_lwm2m_device_t *dev, char *profile, size_t cap)
{
    json_t *o = json_object();
    profile[0] = '\0';
    json_object_set_new(o, "lwm2m_version", json_string(dev->version));
    json_object_set_new(o, "binding", json_string(dev->binding));
    json_object_set_new(o, "queue_mode", json_boolean(dev->queue_mode));
    json_object_set_new(o, "secure", json_boolean(dev->secure));
    json_object_set_new(o, "lifetime_s", json_integer(dev->lifetime_s));
    json_object_set_new(o, "peer", json_string(dev->peer));
    if (dev->have_device_info) {
        const tml_lwm2m_records_t *r = &dev->device_info;
        put_str(o, "manufacturer", res(r, 3, 0));
        put_str(o, "model_number", res(r, 3, 1));
        put_str(o, "serial_number", res(r, 3, 2));
        put_str(o, "firmware_version", res(r, 3, 3));
        put_str(o, "software_version", res(r, 3, 19));
    }
    if (dev->have_ml_caps) {
        const tml_lwm2m_records_t *r = &dev->ml_caps;
        const uint16_t O = TML_LWM2M_OBJ_ML_CAPS;
        put_str(o, "profile", res(r, O, 0));
        put_str(o, "arch", res(r, O, 1));
        put_str(o, "core", res(r, O, 2));
        put_int(o, "clock_hz", res(r, O, 3));
        put_int(o, "model_ram_bytes", res(r, O, 4));
        put_int(o, "model_flash_bytes", res(r, O, 5));
        put_str(o, "runtime_version", res(r, O, 6));
        put_str(o, "package_format", res(r, O, 7));
        json_object_set_new(o, "kernels", str_list(r, O, 8));
        json_object_set_new(o, "ops", str_list(r, O, 9));
        json_object_set_new(o, "features", str_list(r, O, 10));
        const char *p = json_string_value(json_object_get(o, "profile"));
        const tml_target_t *t = p ? tml_target_find(p) : NULL;
        if (t)
            snprintf(profile, cap, "%s", t->name);
    }
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    char *copy = text ? tml_strdup(text) : NULL;
    free(text);
    return copy;
}

static void on_event(void *arg, tml_lwm2m_event_t ev, const tml_lwm2m_device_t *dev, const char *detail)
{
    tml_fleet_t *f = arg;
    tml_store_t *store = f->svc->store;
    tml_err_t err;
    tml_err_clear(&err);
    tml_id_t tenant = 0;
    tml_status_t st = TML_OK;
    switch (ev) {
    case TML_LWM2M_EV_REGISTERED: {
        st = tml_store_call(store, device_seen, dev->endpoint, f->default_tenant, "", NULL, "online",
                            &tenant, &err);
        fleet_dev_t *d = dev_get(f, dev->endpoint);
        if (d) {
            d->observing = false; /* a new registration: observations start over */
            d->reading = false;
            d->has_ml_infer = false;
            for (size_t i = 0; i < dev->objects.n; i++)
                if (dev->objects.links[i].path.len >= 1 &&
                    dev->objects.links[i].path.id[0] == TML_LWM2M_OBJ_ML_INFER)
                    d->has_ml_infer = true;
        }
        TML_LOGI("fleet", "%s registered%s from %s", dev->endpoint, dev->secure ? " over DTLS" : "", dev->peer);
        break;
    }
    case TML_LWM2M_EV_INFO: {
        char profile[TML_STORE_SHORT_MAX];
        char *caps = caps_json(dev, profile, sizeof(profile));
        st = tml_store_call(store, device_seen, dev->endpoint, f->default_tenant, profile, caps, "online",
                            &tenant, &err);
        tml_free(caps);
        fleet_dev_t *d = dev_get(f, dev->endpoint);
        if (d && d->has_ml_infer)
            d->want_observe = true;
        break;
    }
    case TML_LWM2M_EV_UPDATED:
        st = tml_store_call(store, device_set_state, dev->endpoint, "online", &err);
        break;
    case TML_LWM2M_EV_DEREGISTERED:
    case TML_LWM2M_EV_EXPIRED: {
        st = tml_store_call(store, device_set_state, dev->endpoint, "offline", &err);
        fleet_dev_t *d = dev_get(f, dev->endpoint);
        if (d)
            d->observing = d->want_observe = d->read_due = false;
        TML_LOGI("fleet", "%s %s", dev->endpoint, ev == TML_LWM2M_EV_EXPIRED ? "expired" : "de-registered");
        break;
    }
    case TML_LWM2M_EV_REFUSED:
        TML_LOGW("fleet", "registration refused: %s", detail ? detail : "");
        break;
    }
    if (st != TML_OK)
        TML_LOGW("fleet", "%s: %s", dev ? dev->endpoint : "?", tml_err_message(&err));
}

/* ---- inferences ------------------------------------------------------------ */

static void on_count(void *arg, const tml_lwm2m_response_t *rsp)
{
    fleet_dev_t *d = arg;
    if (rsp->status != TML_OK) {
        if (!rsp->notification)
            d->observing = false;
        return;
    }
    if (rsp->records && rsp->records->n == 1) {
        int64_t count;
        if (tml_lwm2m_value_int(&rsp->records->recs[0].v, &count) == TML_OK && count > 0 &&
            count != d->last_count)
            d->read_due = true;
    }
}

static void on_inference(void *arg, const tml_lwm2m_response_t *rsp)
{
    fleet_dev_t *d = arg;
    d->reading = false;
    if (rsp->status != TML_OK || !rsp->records)
        return;
    const tml_lwm2m_records_t *r = rsp->records;
    const uint16_t O = TML_LWM2M_OBJ_ML_INFER;
    tml_inference_rec_t inf;
    memset(&inf, 0, sizeof(inf));
    snprintf(inf.endpoint, sizeof(inf.endpoint), "%s", d->endpoint);
    const tml_lwm2m_value_t *v;
    if ((v = res(r, O, 0)))
        tml_lwm2m_value_str(v, inf.model, sizeof(inf.model));
    if ((v = res(r, O, 1)))
        tml_lwm2m_value_str(v, inf.version, sizeof(inf.version));
    if ((v = res(r, O, 2)))
        tml_lwm2m_value_str(v, inf.output, sizeof(inf.output));
    if ((v = res(r, O, 3)))
        tml_lwm2m_value_int(v, &inf.top_class);
    if ((v = res(r, O, 4)))
        tml_lwm2m_value_int(v, &inf.latency_us);
    if ((v = res(r, O, 5)))
        tml_lwm2m_value_int(v, &inf.count);
    if (inf.count <= 0 || inf.count == d->last_count)
        return;
    d->last_count = inf.count;
    tml_err_t err;
    tml_err_clear(&err);
    if (tml_store_call(d->f->svc->store, inference_add, &inf, INFERENCES_KEPT, &err) != TML_OK)
        TML_LOGW("fleet", "%s: storing an inference: %s", d->endpoint, tml_err_message(&err));
}

static void drive_devices(tml_fleet_t *f)
{
    for (fleet_dev_t *d = f->devs; d; d = d->next) {
        if (!tml_lwm2m_server_device(f->srv, d->endpoint))
            continue;
        tml_err_t err;
        tml_err_clear(&err);
        if (d->want_observe && !d->observing) {
            d->want_observe = false;
            if (tml_lwm2m_server_observe(f->srv, d->endpoint, "/32102/0/5", TML_LWM2M_CF_TEXT, on_count, d,
                                         &d->obs_id, &err) == TML_OK)
                d->observing = true;
            else
                TML_LOGW("fleet", "%s: observe /32102/0/5: %s", d->endpoint, tml_err_message(&err));
        }
        if (d->read_due && !d->reading) {
            d->read_due = false;
            if (tml_lwm2m_server_read(f->srv, d->endpoint, "/32102/0", TML_LWM2M_CF_ANY, on_inference, d,
                                      &err) == TML_OK)
                d->reading = true;
        }
    }
}

/* ---- the thread ------------------------------------------------------------- */

static void *fleet_main(void *arg)
{
    tml_fleet_t *f = arg;
    for (;;) {
        pthread_mutex_lock(&f->mu);
        bool stop = f->stop;
        pthread_mutex_unlock(&f->mu);
        if (stop)
            break;
        tml_lwm2m_server_step(f->srv, 20);
        drive_devices(f);
        uint64_t now = mono_ms();
        if (now >= f->next_tick_ms) {
            f->next_tick_ms = now + 100;
            tml_rollout_tick(f);
        }
    }
    return NULL;
}

static tml_status_t psk_lookup(void *arg, const char *identity, uint8_t *key, size_t *key_len,
                               char *endpoint, size_t cap)
{
    tml_fleet_t *f = arg;
    char ep[TML_STORE_NAME_MAX];
    uint8_t k[64];
    size_t n = sizeof(k);
    tml_err_t err;
    tml_err_clear(&err);
    tml_status_t st = tml_store_call(f->svc->store, device_psk_lookup, identity, ep, k, &n, &err);
    if (st != TML_OK || n > *key_len) {
        sodium_memzero(k, sizeof(k));
        return TML_ERR_NOT_FOUND;
    }
    memcpy(key, k, n);
    *key_len = n;
    snprintf(endpoint, cap, "%s", ep);
    sodium_memzero(k, sizeof(k));
    return TML_OK;
}

/* An endpoint with a provisioned PSK may only register over DTLS. */
static bool has_creds(void *arg, const char *endpoint)
{
    tml_fleet_t *f = arg;
    tml_id_t tenant = 0;
    bool has_psk = false;
    tml_err_t err;
    tml_err_clear(&err);
    return tml_store_call(f->svc->store, device_owner, endpoint, &tenant, &has_psk, &err) == TML_OK && has_psk;
}

static bool find_admin(void *ctx, const tml_tenant_rec_t *t)
{
    tml_fleet_t *f = ctx;
    if (!strcmp(t->name, "admin") || !f->default_tenant)
        f->default_tenant = t->id;
    return true;
}

tml_status_t tml_fleet_start(tml_fleet_t *f, tml_service_t *svc, tml_err_t *err)
{
    memset(f, 0, sizeof(*f));
    f->svc = svc;
    pthread_mutex_init(&f->mu, NULL);
    tml_status_t st = load_key(f, svc->data_dir, err);
    if (st == TML_OK)
        st = tml_store_call(svc->store, tenant_list, find_admin, f, err);
    /* Nothing is registered with this fresh LwM2M server. */
    if (st == TML_OK)
        st = tml_store_call(svc->store, device_set_state, NULL, "offline", err);
    if (st != TML_OK)
        return st;
    if (svc->opts.lwm2m_port < 0)
        return TML_OK; /* LwM2M off */
    tml_lwm2m_server_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.host = svc->opts.lwm2m_host ? svc->opts.lwm2m_host : "127.0.0.1";
    cfg.udp_port = (uint16_t)svc->opts.lwm2m_port;
    cfg.enable_dtls = svc->opts.lwm2m_dtls_port >= 0;
    cfg.dtls_port = cfg.enable_dtls ? (uint16_t)svc->opts.lwm2m_dtls_port : 0;
    cfg.require_dtls = svc->opts.require_dtls;
    cfg.session_cache = svc->opts.lwm2m_session_cache;
    cfg.psk_lookup = psk_lookup;
    cfg.has_credentials = has_creds;
    cfg.cred_arg = f;
    cfg.on_event = on_event;
    cfg.event_arg = f;
    st = tml_lwm2m_server_create(&cfg, &f->srv, err);
    if (st != TML_OK && cfg.enable_dtls && !cfg.require_dtls) {
        TML_LOGW("fleet", "LwM2M DTLS endpoint unavailable (%s); plain UDP only", tml_err_message(err));
        tml_err_clear(err);
        cfg.enable_dtls = false;
        st = tml_lwm2m_server_create(&cfg, &f->srv, err);
    }
    if (st != TML_OK)
        return tml_err_wrap(err, "LwM2M server");
    f->udp_port = tml_lwm2m_server_port(f->srv);
    f->dtls_port = tml_lwm2m_server_dtls_port(f->srv);
    if (pthread_create(&f->thread, NULL, fleet_main, f) != 0) {
        tml_lwm2m_server_destroy(f->srv);
        f->srv = NULL;
        return tml_err_set(err, TML_ERR_INTERNAL, "cannot start the LwM2M thread");
    }
    f->started = true;
    return TML_OK;
}

void tml_fleet_stop(tml_fleet_t *f)
{
    if (!f->svc)
        return;
    if (f->started) {
        pthread_mutex_lock(&f->mu);
        f->stop = true;
        pthread_mutex_unlock(&f->mu);
        pthread_join(f->thread, NULL);
        f->started = false;
    }
    tml_lwm2m_server_destroy(f->srv);
    f->srv = NULL;
    tml_rollout_free(f);
    while (f->devs) {
        fleet_dev_t *d = f->devs;
        f->devs = d->next;
        tml_free(d);
    }
    sodium_memzero(f->sk, sizeof(f->sk));
    pthread_mutex_destroy(&f->mu);
    f->svc = NULL;
}
