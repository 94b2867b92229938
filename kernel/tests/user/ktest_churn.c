/*
 * ktest_churn: IPC while tasks die.  Two servers (one answers at once, one
 * a call late through saved reply capabilities) and four clients share an
 * endpoint; the root keeps killing a random one of them and starting a new
 * one in its place, mid-call, mid-reply, mid-receive.  Every answer a
 * client gets must be right; a call whose server died ends with EPEER.  At
 * the end of each round the root revokes the round's quota, and not a page
 * may be missing.
 */
#include "ulib.h"

const char *ktest_name = "churn";

enum { SERVER = 1, LATE_SERVER, CLIENT };
#define ADD 1
#define EP 0
#define NTASKS 6
#define ROUNDS 25

struct shared {
	volatile u64 ok, wrong, epeer, other;
};

static u64 rng = 88172645463325252ull;
static u64 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void server(void)
{
	struct umsg m = { 0 };
	i64 st = h_recv(EP, &m);
	for (;;) {
		struct umsg r = { .label = 0, .info = HELIOS_INFO(1, 0), .w = { m.w[0] + m.w[1] } };
		if (st || m.label != ADD) {
			r.label = (u64)HELIOS_EINVAL;
			r.info = 0;
		}
		st = ipc(HELIOS_SYS_REPLY_RECV, EP, &r);
		m = r;
	}
}

/* Answers each call when the next one arrives, through a reply capability. */
static void late_server(void)
{
	u32 saved = NONE;
	u64 answer = 0;
	for (;;) {
		struct umsg m = { 0 };
		if (h_recv(EP, &m))
			continue;
		u32 now = (u32)S(REPLY_SAVE, NONE, 0, 0, 0, 0).r0;
		if (saved != NONE) {
			struct umsg r = { .label = 0, .info = HELIOS_INFO(1, 0), .w = { answer } };
			ipc(HELIOS_SYS_SEND, saved, &r);
		}
		saved = now;
		answer = m.w[0] + m.w[1];
	}
}

static void client(u64 idx)
{
	struct shared *sh = (struct shared *)U_SHARED;
	for (u64 i = 0;; i++) {
		struct umsg m = { .label = ADD, .info = HELIOS_INFO(2, 0), .w = { idx << 32, i } };
		i64 st = ipc(HELIOS_SYS_CALL, EP, &m);
		if (st == 0 && m.label == 0 && m.w[0] == (idx << 32) + i)
			sh->ok++;
		else if (st == 0)
			sh->wrong++;
		else if (st == HELIOS_EPEER)
			sh->epeer++;
		else
			sh->other++;
	}
}

void child_main(u64 role, u64 arg)
{
	if (role == SERVER)
		server();
	if (role == LATE_SERVER)
		late_server();
	client(arg);
}

static u64 role_of(unsigned k)
{
	return k == 0 ? SERVER : k == 1 ? LATE_SERVER : CLIENT;
}

void test_main(void)
{
	u32 shared_pg = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_PAGE, NONE, 0).r0;
	CHECK_EQ(h_map(HELIOS_ROOT_VSPACE, U_SHARED, shared_pg, HELIOS_MAP_W, HELIOS_ROOT_MEMORY), 0);
	struct shared *sh = (struct shared *)U_SHARED;
	u64 base = 0, kills = 0, spawned = 0;
	for (int round = 0; round < ROUNDS; round++) {
		u32 q = (u32)h_alloc(HELIOS_ROOT_MEMORY, HELIOS_CAP_MEMORY, NONE, 600).r0;
		spawn_memory = q;
		u32 ep = (u32)h_alloc(q, HELIOS_CAP_ENDPOINT, NONE, 0).r0;
		u32 caps[] = { ep };
		struct child c[NTASKS];
		u64 serial = 100;
		for (unsigned k = 0; k < NTASKS; k++) {
			CHECK_EQ(spawn_ex(role_of(k), serial++, caps, 1, SPAWN_SHARED_PAGE, shared_pg, &c[k]), 0);
			spawned++;
		}
		for (int step = 0; step < 40; step++) {
			for (u64 y = rnd() % 4; y > 0; y--)
				S(YIELD, 0, 0, 0, 0, 0);
			unsigned k = (unsigned)(rnd() % NTASKS);
			child_free(&c[k]);      /* wherever it was */
			kills++;
			CHECK_EQ(spawn_ex(role_of(k), serial++, caps, 1, SPAWN_SHARED_PAGE, shared_pg, &c[k]), 0);
			spawned++;
		}
		for (unsigned k = 0; k < NTASKS; k++)
			child_free(&c[k]);
		spawn_memory = HELIOS_ROOT_MEMORY;
		CHECK_EQ(S(MEM_REVOKE, q, 0, 0, 0, 0).st, 0);
		CHECK_EQ(h_info(q).r2, 0);
		h_destroy(q);
		if (round == 0)
			base = h_info(HELIOS_ROOT_MEMORY).r2;
	}
	uprintf("churn: %lu tasks started, %lu killed; calls: %lu answered right, %lu wrong, "
	        "%lu ended by EPEER, %lu other\n", spawned, kills, sh->ok, sh->wrong, sh->epeer, sh->other);
	CHECK_EQ(sh->wrong, 0);
	CHECK_EQ(sh->other, 0);
	CHECK(sh->ok > 1000);
	CHECK(sh->epeer > 0);
	CHECK_EQ(h_info(HELIOS_ROOT_MEMORY).r2, base);
}
