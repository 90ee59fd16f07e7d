/*
 * test_schedule.c - operator scheduling (compiler/plan/schedule.c) on
 * hand-built lowered graphs: it moves an op earlier when that lowers the
 * planned arena, keeps the order when nothing is gained, never breaks a
 * data dependence (random graphs), never makes the arena larger, and
 * survives every allocation failure.
 */
#include <stdlib.h>

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

/* A lowered op reading in[] and writing out; node records its position in
 * the model's order (the planner and scheduler look only at operands). */
static void add_op(fixture_t *f, const int32_t *in, int n_in, int32_t out)
{
    tml_lower_ctx_t ctx = {.g = &f->g, .out = &f->lw, .err = NULL, .node = 0};
    int32_t params[1] = {f->lw.n_ops};
    TML_ASSERT_OK(tml_lower_emit(&ctx, TML_K_COPY, in, n_in, &out, 1, params, sizeof(params), -1));
}

static void setup_graph(fixture_t *f)
{
    memset(f, 0, sizeof(*f));
    TML_ASSERT_OK(tml_ir_init(&f->g, "schedule"));
    int32_t none = -1;
    TML_ASSERT_OK(tml_ir_add_node(&f->g, TML_OP_RESHAPE, "n", &none, 0, &none, 0, NULL, NULL));
}

static void teardown_graph(fixture_t *f)
{
    tml_lowered_free(&f->lw);
    tml_ir_free(&f->g);
}

static uint32_t arena_of(fixture_t *f)
{
    tml_plan_t p;
    TML_ASSERT_OK(tml_plan_arena(&f->g, &f->lw, &p, NULL));
    uint32_t len = p.arena_len;
    tml_plan_free(&p);
    return len;
}

/* Every tensor an op reads was written by an op before it (or is a graph
 * input), and each op appears once. */
static void assert_valid_order(const fixture_t *f, int n_ops)
{
    assert_int_equal(f->lw.n_ops, n_ops);
    uint8_t *seen = calloc((size_t)n_ops, 1);
    uint8_t *written = calloc((size_t)f->g.n_tensors, 1);
    for (int i = 0; i < f->g.n_inputs; i++)
        written[f->g.inputs[i]] = 1;
    for (int i = 0; i < f->lw.n_ops; i++) {
        const tml_lop_t *op = &f->lw.ops[i];
        int32_t id = op->params[0];
        assert_true(id >= 0 && id < n_ops && !seen[id]);
        seen[id] = 1;
        for (int j = 0; j < op->n_in; j++)
            if (!written[op->operands[j]])
                fail_msg("op %d (was %d) reads %s before it is written", i, (int)id,
                         f->g.tensors[op->operands[j]].name);
        written[op->operands[op->n_in]] = 1;
    }
    free(seen);
    free(written);
}

/* in -> t1 (8K) -> u1, in -> t2 (8K) -> u2, (u1, u2) -> out: the model's
 * order makes t1 and t2 live together; running t1's reader first does not. */
static void build_two_branches(fixture_t *f)
{
    setup_graph(f);
    int32_t in = add_act(f, "in", 1024), t1 = add_act(f, "t1", 8192), t2 = add_act(f, "t2", 8192);
    int32_t u1 = add_act(f, "u1", 1024), u2 = add_act(f, "u2", 1024), out = add_act(f, "out", 1024);
    add_op(f, &in, 1, t1);
    add_op(f, &in, 1, t2);
    add_op(f, &t1, 1, u1);
    add_op(f, &t2, 1, u2);
    add_op(f, (const int32_t[]){u1, u2}, 2, out);
    TML_ASSERT_OK(tml_ir_set_io(&f->g, &in, 1, &out, 1));
}

static void moves_an_op_when_the_arena_shrinks(void **state)
{
    (void)state;
    fixture_t f;
    build_two_branches(&f);
    uint32_t before = arena_of(&f);
    int moved;
    TML_ASSERT_OK(tml_plan_schedule(&f.g, &f.lw, 0, &moved, NULL));
    assert_true(moved > 0);
    assert_valid_order(&f, 5);
    /* t1's reader now runs second. */
    assert_int_equal(f.lw.ops[1].params[0], 2);
    uint32_t after = arena_of(&f);
    assert_true(after < before);
    assert_true(after <= 1024 + 8192 + 1024 + 1024);
    teardown_graph(&f);
}

static void keeps_the_order_when_nothing_is_gained(void **state)
{
    (void)state;
    fixture_t f;
    setup_graph(&f);
    /* A chain: only one order exists. */
    int32_t t[5];
    for (int i = 0; i < 5; i++)
        t[i] = add_act(&f, NULL, 1000 * (i + 1));
    for (int i = 0; i < 4; i++)
        add_op(&f, &t[i], 1, t[i + 1]);
    TML_ASSERT_OK(tml_ir_set_io(&f.g, &t[0], 1, &t[4], 1));
    int moved = -1;
    TML_ASSERT_OK(tml_plan_schedule(&f.g, &f.lw, 0, &moved, NULL));
    assert_int_equal(moved, 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(f.lw.ops[i].params[0], i);
    teardown_graph(&f);
}

static uint32_t rng = 88172645u;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static void random_graphs_keep_dependences_and_never_grow(void **state)
{
    (void)state;
    int n_moved = 0;
    for (int iter = 0; iter < 200; iter++) {
        fixture_t f;
        setup_graph(&f);
        int n_ops = 3 + (int)(next_rand() % 12);
        int32_t *t = malloc((size_t)(n_ops + 1) * sizeof(int32_t));
        t[0] = add_act(&f, "in", 16 * (int32_t)(1 + next_rand() % 64));
        for (int i = 0; i < n_ops; i++) {
            t[i + 1] = add_act(&f, NULL, 16 * (int32_t)(1 + next_rand() % 64));
            /* one to three inputs among the tensors so far */
            int32_t in[3];
            int n_in = 1 + (int)(next_rand() % 3);
            for (int k = 0; k < n_in; k++)
                in[k] = t[next_rand() % (uint32_t)(i + 1)];
            add_op(&f, in, n_in, t[i + 1]);
        }
        TML_ASSERT_OK(tml_ir_set_io(&f.g, &t[0], 1, &t[n_ops], 1));
        uint32_t before = arena_of(&f);
        int moved;
        TML_ASSERT_OK(tml_plan_schedule(&f.g, &f.lw, 0, &moved, NULL));
        assert_valid_order(&f, n_ops);
        uint32_t after = arena_of(&f);
        assert_true(after <= before);
        if (moved)
            assert_true(after < before);
        n_moved += moved > 0;
        free(t);
        teardown_graph(&f);
    }
    /* Reordering paid off on some of them. */
    assert_true(n_moved > 10);
}

static tml_status_t schedule_op(void *ctx_)
{
    fixture_t *f = ctx_;
    /* Back to the model's order (no allocation): a failed run must have
     * left it so anyway, a successful one reordered. */
    for (int i = 1; i < f->lw.n_ops; i++)
        for (int j = i; j > 0 && f->lw.ops[j - 1].params[0] > f->lw.ops[j].params[0]; j--) {
            tml_lop_t tmp = f->lw.ops[j];
            f->lw.ops[j] = f->lw.ops[j - 1];
            f->lw.ops[j - 1] = tmp;
        }
    int moved;
    tml_status_t st = tml_plan_schedule(&f->g, &f->lw, 0, &moved, NULL);
    if (st != TML_OK)
        for (int i = 0; i < f->lw.n_ops; i++)
            assert_int_equal(f->lw.ops[i].params[0], i);
    return st;
}

static void free_nothing(void *ctx_) { (void)ctx_; }

static void survives_every_allocation_failure(void **state)
{
    (void)state;
    fixture_t f;
    build_two_branches(&f);
    assert_true(tml_test_alloc_walk(schedule_op, free_nothing, &f) >= 6);
    teardown_graph(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(moves_an_op_when_the_arena_shrinks, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(keeps_the_order_when_nothing_is_gained, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(random_graphs_keep_dependences_and_never_grow, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(survives_every_allocation_failure, tml_test_leak_setup, tml_test_leak_teardown),
    };
    TML_TEST_MAIN(tests);
}
