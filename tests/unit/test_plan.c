/*
 * test_plan.c - the arena planner on hand-built lowered graphs: chains reuse
 * memory, residual branches keep their input alive, in-place hints alias,
 * overlap hints place an output at a fixed distance inside its dying input,
 * and inputs/outputs are never overwritten early.
 */
#include "tml_test.h"
#include "tml/plan.h"

typedef struct {
    tml_ir_graph_t g;
    tml_lowered_t lw;
} fixture_t;

static int32_t add_act(fixture_t *f, const char *name, int32_t bytes)
{
    int32_t idx, dims[1] = {bytes};
    TML_ASSERT_OK(tml_ir_add_tensor(&f->g, name, TML_DT_I8, 1, dims, &idx));
    return idx;
}

/* Appends a lowered op reading in[] and writing out (kernel id irrelevant:
 * the planner looks only at operands). */
static void add_op(fixture_t *f, const int32_t *in, int n_in, int32_t out, int32_t inplace)
{
    tml_lower_ctx_t ctx = {.g = &f->g, .out = &f->lw, .err = NULL, .node = 0};
    int32_t params[1] = {0};
    TML_ASSERT_OK(tml_lower_emit(&ctx, TML_K_COPY, in, n_in, &out, 1, params, sizeof(params), inplace));
}

static void setup_graph(fixture_t *f)
{
    memset(f, 0, sizeof(*f));
    TML_ASSERT_OK(tml_ir_init(&f->g, "plan"));
    /* tml_lower_emit names the node in errors; give it one. */
    int32_t none = -1;
    TML_ASSERT_OK(tml_ir_add_node(&f->g, TML_OP_RESHAPE, "n", &none, 0, &none, 0, NULL, NULL));
}

static void teardown_graph(fixture_t *f)
{
    tml_lowered_free(&f->lw);
    tml_ir_free(&f->g);
}

/* Overlapping lifetimes never share bytes. */
static void assert_no_overlap(const fixture_t *f, const tml_plan_t *p)
{
    for (int a = 0; a < f->g.n_tensors; a++)
        for (int b = a + 1; b < f->g.n_tensors; b++) {
            if (p->first[a] < 0 || p->first[b] < 0 || p->alias_of[a] == b || p->alias_of[b] == a ||
                p->overlap_of[a] == b || p->overlap_of[b] == a)
                continue;
            if (p->first[a] > p->last[b] || p->first[b] > p->last[a])
                continue;
            uint32_t a_end = p->offset[a] + (uint32_t)tml_ir_tensor_bytes(&f->g.tensors[a]);
            uint32_t b_end = p->offset[b] + (uint32_t)tml_ir_tensor_bytes(&f->g.tensors[b]);
            if (p->offset[a] < b_end && p->offset[b] < a_end)
                fail_msg("%s and %s overlap", f->g.tensors[a].name, f->g.tensors[b].name);
        }
}

static void chain_needs_only_the_largest_pair(void **state)
{
    (void)state;
    fixture_t f;
    setup_graph(&f);
    /* in(100) -> a(1000) -> b(2000) -> c(500) -> out(10) */
    int32_t in = add_act(&f, "in", 100), a = add_act(&f, "a", 1000), b = add_act(&f, "b", 2000);
    int32_t c = add_act(&f, "c", 500), out = add_act(&f, "out", 10);
    add_op(&f, &in, 1, a, -1);
    add_op(&f, &a, 1, b, -1);
    add_op(&f, &b, 1, c, -1);
    add_op(&f, &c, 1, out, -1);
    TML_ASSERT_OK(tml_ir_set_io(&f.g, &in, 1, &out, 1));
    tml_plan_t p;
    TML_ASSERT_OK(tml_plan_arena(&f.g, &f.lw, &p, NULL));
    /* The input lives from the start; the output to the end. Peak: a + b
     * (1008 + 2000 aligned to 16) while b is written. */
    assert_int_equal(p.arena_len, 1008 + 2000 + 0);
    assert_int_equal(p.sum_len, 112 + 1008 + 2000 + 512 + 16);
    assert_no_overlap(&f, &p);
    uint32_t *live;
    TML_ASSERT_OK(tml_plan_live_bytes(&f.g, &f.lw, &p, &live));
    assert_int_equal(live[1], 1008 + 2000);
    tml_free(live);
    tml_plan_free(&p);
    teardown_graph(&f);
}

static void residual_branch_keeps_its_input(void **state)
{
    (void)state;
    fixture_t f;
    setup_graph(&f);
    /* x -> y -> z; add(x, z) -> out: x stays live across y and z. */
    int32_t x = add_act(&f, "x", 1024), y = add_act(&f, "y", 1024), z = add_act(&f, "z", 1024);
    int32_t out = add_act(&f, "out", 1024);
    add_op(&f, &x, 1, y, -1);
    add_op(&f, &y, 1, z, -1);
    int32_t xz[2] = {x, z};
    add_op(&f, xz, 2, out, -1);
    TML_ASSERT_OK(tml_ir_set_io(&f.g, &x, 1, &out, 1));
    tml_plan_t p;
    TML_ASSERT_OK(tml_plan_arena(&f.g, &f.lw, &p, NULL));
    assert_int_equal(p.arena_len, 3 * 1024);
    assert_no_overlap(&f, &p);
    tml_plan_free(&p);
    teardown_graph(&f);
}

static void inplace_hint_aliases_when_input_dies(void **state)
{
    (void)state;
    fixture_t f;
    setup_graph(&f);
    /* in -> a -(reshape, in place)-> b -> out */
    int32_t in = add_act(&f, "in", 64), a = add_act(&f, "a", 4096), b = add_act(&f, "b", 4096);
    int32_t out = add_act(&f, "out", 64);
    add_op(&f, &in, 1, a, -1);
    add_op(&f, &a, 1, b, 0);
    add_op(&f, &b, 1, out, -1);
    TML_ASSERT_OK(tml_ir_set_io(&f.g, &in, 1, &out, 1));
    tml_plan_t p;
    TML_ASSERT_OK(tml_plan_arena(&f.g, &f.lw, &p, NULL));
    assert_int_equal(p.alias_of[b], a);
    assert_int_equal(p.offset[a], p.offset[b]);
    assert_int_equal(p.arena_len, 4096 + 64);
    tml_plan_free(&p);
    teardown_graph(&f);
}

static void inplace_hint_ignored_while_input_still_read(void **state)
{
    (void)state;
    fixture_t f;
    setup_graph(&f);
    /* a is read again after the in-place op, so b must not take it over. */
    int32_t in = add_act(&f, "in", 16), a = add_act(&f, "a", 256), b = add_act(&f, "b", 256);
    int32_t out = add_act(&f, "out", 256);
    add_op(&f, &in, 1, a, -1);
    add_op(&f, &a, 1, b, 0);
    int32_t ab[2] = {a, b};
    add_op(&f, ab, 2, out, -1);
    TML_ASSERT_OK(tml_ir_set_io(&f.g, &in, 1, &out, 1));
    tml_plan_t p;
    TML_ASSERT_OK(tml_plan_arena(&f.g, &f.lw, &p, NULL));
    assert_int_equal(p.alias_of[b], -1);
    assert_no_overlap(&f, &p);
    tml_plan_free(&p);
    teardown_graph(&f);
}

/* The head of MobileNet (VWW): greedy by size places the 36 KiB buffer at 0
 * and then fragments to 63 KiB; the live peak, and the best order, is 54 KiB. */
static void planner_beats_greedy_by_size_on_mobilenet_head(void **state)
{
    (void)state;
    fixture_t f;
    setup_graph(&f);
    int32_t in = add_act(&f, "in", 27648), a = add_act(&f, "conv", 18432);
    int32_t b = add_act(&f, "dw", 18432), c = add_act(&f, "pw", 36864), d = add_act(&f, "dw2", 9216);
    add_op(&f, &in, 1, a, -1);
    add_op(&f, &a, 1, b, -1);
    add_op(&f, &b, 1, c, -1);
    add_op(&f, &c, 1, d, -1);
    TML_ASSERT_OK(tml_ir_set_io(&f.g, &in, 1, &d, 1));
    tml_plan_t p;
    TML_ASSERT_OK(tml_plan_arena(&f.g, &f.lw, &p, NULL));
    assert_int_equal(p.arena_len, 18432 + 36864);
    assert_no_overlap(&f, &p);
    tml_plan_free(&p);
    teardown_graph(&f);
}

/* in(100) -> a(1000) -> b(1000) -> out(10); b may start 64 bytes before a. */
static void build_overlap_chain(fixture_t *f, int32_t *a, int32_t *b, int read_a_later)
{
    setup_graph(f);
    int32_t in = add_act(f, "in", 100);
    *a = add_act(f, "a", 1000);
    *b = add_act(f, "b", 1000);
    int32_t out = add_act(f, "out", 10);
    add_op(f, &in, 1, *a, -1);
    add_op(f, a, 1, *b, -1);
    f->lw.ops[1].overlap_input = 0;
    f->lw.ops[1].overlap_off = -64;
    int32_t ins[2] = {*b, *a};
    add_op(f, ins, read_a_later ? 2 : 1, out, -1);
    TML_ASSERT_OK(tml_ir_set_io(&f->g, &in, 1, &out, 1));
}

static void overlap_hint_places_output_inside_dying_input(void **state)
{
    (void)state;
    fixture_t f;
    int32_t a, b;
    build_overlap_chain(&f, &a, &b, 0);
    tml_plan_t p;
    TML_ASSERT_OK(tml_plan_arena(&f.g, &f.lw, &p, NULL));
    assert_int_equal(p.overlap_of[b], a);
    assert_int_equal((int64_t)p.offset[b] - (int64_t)p.offset[a], -64);
    /* Peak: in + a (112 + 1008) at op 0; a and b share all but 64 bytes. */
    assert_int_equal(p.arena_len, 1120);
    uint32_t *live;
    TML_ASSERT_OK(tml_plan_live_bytes(&f.g, &f.lw, &p, &live));
    assert_int_equal(live[1], 1008 + 64);
    tml_free(live);
    assert_no_overlap(&f, &p);
    tml_plan_free(&p);
    teardown_graph(&f);
}

static void overlap_hint_ignored_while_input_still_read(void **state)
{
    (void)state;
    fixture_t f;
    int32_t a, b;
    build_overlap_chain(&f, &a, &b, 1);
    tml_plan_t p;
    TML_ASSERT_OK(tml_plan_arena(&f.g, &f.lw, &p, NULL));
    assert_int_equal(p.overlap_of[b], -1);
    assert_no_overlap(&f, &p);
    assert_int_equal(p.arena_len, 1008 + 1008 + 16);
    tml_plan_free(&p);
    teardown_graph(&f);
}

/* A hint that would raise the peak is not taken: b may only start 1024
 * bytes before a, and the plan without it is smaller. */
static void overlap_hint_never_makes_the_plan_worse(void **state)
{
    (void)state;
    fixture_t f;
    int32_t a, b;
    build_overlap_chain(&f, &a, &b, 0);
    f.lw.ops[1].overlap_off = -4096;
    tml_plan_t p;
    TML_ASSERT_OK(tml_plan_arena(&f.g, &f.lw, &p, NULL));
    assert_int_equal(p.overlap_of[b], -1);
    assert_int_equal(p.arena_len, 2016);
    assert_no_overlap(&f, &p);
    tml_plan_free(&p);
    teardown_graph(&f);
}

typedef struct {
    fixture_t f;
    tml_plan_t p;
} walk_ctx_t;

static tml_status_t plan_op(void *ctx_)
{
    walk_ctx_t *ctx = ctx_;
    return tml_plan_arena(&ctx->f.g, &ctx->f.lw, &ctx->p, NULL);
}

static void free_plan(void *ctx_) { tml_plan_free(&((walk_ctx_t *)ctx_)->p); }

static void planner_survives_every_allocation_failure(void **state)
{
    (void)state;
    walk_ctx_t ctx;
    setup_graph(&ctx.f);
    int32_t in = add_act(&ctx.f, "in", 16), out = add_act(&ctx.f, "out", 16);
    add_op(&ctx.f, &in, 1, out, -1);
    TML_ASSERT_OK(tml_ir_set_io(&ctx.f.g, &in, 1, &out, 1));
    assert_true(tml_test_alloc_walk(plan_op, free_plan, &ctx) >= 4);
    teardown_graph(&ctx.f);
    /* And with an overlap hint (the second placement pass). */
    int32_t a, b;
    build_overlap_chain(&ctx.f, &a, &b, 0);
    assert_true(tml_test_alloc_walk(plan_op, free_plan, &ctx) >= 4);
    teardown_graph(&ctx.f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(chain_needs_only_the_largest_pair, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(residual_branch_keeps_its_input, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(inplace_hint_aliases_when_input_dies, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(inplace_hint_ignored_while_input_still_read, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(planner_beats_greedy_by_size_on_mobilenet_head, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(overlap_hint_places_output_inside_dying_input, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(overlap_hint_ignored_while_input_still_read, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(overlap_hint_never_makes_the_plan_worse, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(planner_survives_every_allocation_failure, tml_test_leak_setup, tml_test_leak_teardown),
    };
    TML_TEST_MAIN(tests);
}
