/* Unit test of libbpfman-client's conversions: libbpfman structs -> request message ->
 * wire bytes -> message, and answer message -> wire bytes -> libbpfman structs, checking
 * every field on the far side. No server, no root, no grpc. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client-internal.h"
#include "test-util.h"

/* Packs m and unpacks the bytes again: what a server would see. */
static void *roundtrip(const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(len ? len : 1);
	ProtobufCMessage *r;

	protobuf_c_message_pack(m, buf);
	r = protobuf_c_message_unpack(m->descriptor, NULL, len, buf);
	free(buf);
	CHECK(r != NULL);
	return r;
}

/* Any map<string,string> field, in order (protobuf-c keeps the order of repeated fields). */
#define CHECK_KV(msg, field, list)                                                 \
	do {                                                                       \
		CHECK_EQ_INT((msg)->n_##field, (list)->n);                         \
		for (size_t _i = 0; _i < (msg)->n_##field && _i < (list)->n; _i++) { \
			CHECK_STREQ((msg)->field[_i]->key, (list)->items[_i].key);   \
			CHECK_STREQ((msg)->field[_i]->value, (list)->items[_i].value); \
		}                                                                  \
	} while (0)

static struct kv metadata_items[] = { { "bpfman_application", "demo" }, { "owner", "me" } };
static const struct kv_list metadata = { metadata_items, 2 };

static void test_load_request(void)
{
	static uint8_t g1[] = { 1, 0, 0, 0, 0xff };
	struct bpfman_global globals[] = { { "increment", g1, sizeof(g1) }, { "empty", g1, 0 } };
	struct bpfman_prog_request progs[] = {
		{ BPFMAN_PROG_TRACEPOINT, "tracepoint_counter", NULL },
		{ BPFMAN_PROG_FENTRY, "fentry_counter", "do_unlinkat" },
		{ BPFMAN_PROG_FEXIT, "fexit_counter", "do_unlinkat" },
		{ BPFMAN_PROG_LSM, "lsm_counter", "file_open" },
	};
	struct bpfman_load_opts opts = {
		.path = "/tmp/obj.bpf.o", .progs = progs, .n_progs = 4, .globals = globals,
		.n_globals = 2, .metadata = &metadata, .has_map_owner = true, .map_owner_id = 42,
	};
	Bpfman__V1__LoadRequest req = BPFMAN__V1__LOAD_REQUEST__INIT, *got;
	struct pb_arena a = { 0 };
	const char *why = NULL;

	CHECK_EQ_INT(client_build_load_request(&a, &opts, &req, &why), 0);
	got = roundtrip(&req.base);
	pb_arena_free(&a);
	if (!got)
		return;
	CHECK_EQ_INT(got->bytecode->location_case, BPFMAN__V1__BYTECODE_LOCATION__LOCATION_FILE);
	CHECK_STREQ(got->bytecode->file, "/tmp/obj.bpf.o");
	CHECK_EQ_INT(got->n_info, 4);
	for (size_t i = 0; i < got->n_info && i < 4; i++) {
		CHECK_STREQ(got->info[i]->name, progs[i].name);
		CHECK_EQ_INT(got->info[i]->program_type, progs[i].type);
	}
	CHECK_EQ_INT(got->info[0]->_info_case, BPFMAN__V1__LOAD_INFO___INFO__NOT_SET);
	CHECK_EQ_INT(got->info[1]->_info_case, BPFMAN__V1__LOAD_INFO___INFO_INFO);
	CHECK_EQ_INT(got->info[1]->info->info_case,
		     BPFMAN__V1__PROG_SPECIFIC_INFO__INFO_FENTRY_LOAD_INFO);
	CHECK_STREQ(got->info[1]->info->fentry_load_info->fn_name, "do_unlinkat");
	CHECK_EQ_INT(got->info[2]->info->info_case,
		     BPFMAN__V1__PROG_SPECIFIC_INFO__INFO_FEXIT_LOAD_INFO);
	CHECK_STREQ(got->info[2]->info->fexit_load_info->fn_name, "do_unlinkat");
	CHECK_EQ_INT(got->info[3]->info->info_case,
		     BPFMAN__V1__PROG_SPECIFIC_INFO__INFO_LSM_LOAD_INFO);
	CHECK_STREQ(got->info[3]->info->lsm_load_info->hook_name, "file_open");
	CHECK_EQ_INT(got->n_global_data, 2);
	CHECK_STREQ(got->global_data[0]->key, "increment");
	CHECK_EQ_INT(got->global_data[0]->value.len, sizeof(g1));
	CHECK(memcmp(got->global_data[0]->value.data, g1, sizeof(g1)) == 0);
	CHECK_STREQ(got->global_data[1]->key, "empty");
	CHECK_EQ_INT(got->global_data[1]->value.len, 0);
	CHECK_KV(got, metadata, &metadata);
	CHECK_EQ_INT(got->_map_owner_id_case, BPFMAN__V1__LOAD_REQUEST___MAP_OWNER_ID_MAP_OWNER_ID);
	CHECK_EQ_INT(got->map_owner_id, 42);
	CHECK_EQ_INT(got->_uuid_case, BPFMAN__V1__LOAD_REQUEST___UUID__NOT_SET);
	protobuf_c_message_free_unpacked(&got->base, NULL);
}

static void test_load_request_image_and_errors(void)
{
	struct bpfman_prog_request prog = { BPFMAN_PROG_TCX, "tcx_counter", NULL };
	struct bpfman_load_opts opts = { .image_url = "quay.io/x/y:latest", .pull_policy = 1,
					 .progs = &prog, .n_progs = 1 };
	Bpfman__V1__LoadRequest req = BPFMAN__V1__LOAD_REQUEST__INIT, *got;
	struct pb_arena a = { 0 };
	const char *why = NULL;

	CHECK_EQ_INT(client_build_load_request(&a, &opts, &req, &why), 0);
	got = roundtrip(&req.base);
	pb_arena_free(&a);
	if (got) {
		CHECK_EQ_INT(got->bytecode->location_case,
			     BPFMAN__V1__BYTECODE_LOCATION__LOCATION_IMAGE);
		CHECK_STREQ(got->bytecode->image->url, "quay.io/x/y:latest");
		CHECK_EQ_INT(got->bytecode->image->image_pull_policy, 1);
		CHECK_EQ_INT(got->bytecode->image->_username_case,
			     BPFMAN__V1__BYTECODE_IMAGE___USERNAME__NOT_SET);
		CHECK_EQ_INT(got->_map_owner_id_case,
			     BPFMAN__V1__LOAD_REQUEST___MAP_OWNER_ID__NOT_SET);
		CHECK_EQ_INT(got->n_global_data, 0);
		CHECK_EQ_INT(got->n_metadata, 0);
		CHECK_EQ_INT(got->info[0]->program_type, BPFMAN__V1__BPFMAN_PROGRAM_TYPE__TCX);
		protobuf_c_message_free_unpacked(&got->base, NULL);
	}

	/* credentials go along when given (the server uses them for this request only) */
	opts.username = "alice";
	opts.password = "s3cret";
	memset(&req, 0, sizeof(req));
	bpfman__v1__load_request__init(&req);
	CHECK_EQ_INT(client_build_load_request(&a, &opts, &req, &why), 0);
	got = roundtrip(&req.base);
	pb_arena_free(&a);
	if (got) {
		CHECK_EQ_INT(got->bytecode->image->_username_case,
			     BPFMAN__V1__BYTECODE_IMAGE___USERNAME_USERNAME);
		CHECK_STREQ(got->bytecode->image->username, "alice");
		CHECK_EQ_INT(got->bytecode->image->_password_case,
			     BPFMAN__V1__BYTECODE_IMAGE___PASSWORD_PASSWORD);
		CHECK_STREQ(got->bytecode->image->password, "s3cret");
		protobuf_c_message_free_unpacked(&got->base, NULL);
	}
	opts.username = opts.password = NULL;

	/* refused before anything is sent, with a reason */
	opts.image_url = NULL;
	why = NULL;
	CHECK_EQ_INT(client_build_load_request(&a, &opts, &req, &why), -EINVAL);
	CHECK(why != NULL);
	pb_arena_free(&a);
	opts.path = "/x.o";
	opts.n_progs = 0;
	CHECK_EQ_INT(client_build_load_request(&a, &opts, &req, &why), -EINVAL);
	pb_arena_free(&a);
	prog.type = _BPFMAN_PROG_TYPE_MAX;
	opts.n_progs = 1;
	CHECK_EQ_INT(client_build_load_request(&a, &opts, &req, &why), -EINVAL);
	pb_arena_free(&a);
}

/* Builds AttachInfo from opts and returns what a server would unpack. */
static Bpfman__V1__AttachInfo *attach_roundtrip(const struct bpfman_attach_opts *opts)
{
	Bpfman__V1__AttachInfo info = BPFMAN__V1__ATTACH_INFO__INIT, *got = NULL;
	struct pb_arena a = { 0 };
	const char *why = NULL;

	CHECK_EQ_INT(client_build_attach_info(&a, opts, &info, &why), 0);
	if (info.info_case != BPFMAN__V1__ATTACH_INFO__INFO__NOT_SET)
		got = roundtrip(&info.base);
	pb_arena_free(&a);
	return got;
}

static void test_attach_net(void)
{
	static const int32_t proceed_on[] = { 2, 31 };
	struct bpfman_attach_opts o = { .type = BPFMAN_PROG_TCX, .iface = "veth0",
					.direction = BPFMAN_DIR_EGRESS, .netns = "/run/netns/x",
					.metadata = &metadata };
	Bpfman__V1__AttachInfo *got = attach_roundtrip(&o);

	if (got) {
		CHECK_EQ_INT(got->info_case, BPFMAN__V1__ATTACH_INFO__INFO_TCX_ATTACH_INFO);
		CHECK_STREQ(got->tcx_attach_info->iface, "veth0");
		CHECK_EQ_INT(got->tcx_attach_info->priority, 1000); /* libbpfman's default */
		CHECK_STREQ(got->tcx_attach_info->direction, "egress");
		CHECK_EQ_INT(got->tcx_attach_info->_netns_case,
			     BPFMAN__V1__TCXATTACH_INFO___NETNS_NETNS);
		CHECK_STREQ(got->tcx_attach_info->netns, "/run/netns/x");
		CHECK_KV(got->tcx_attach_info, metadata, &metadata);
		protobuf_c_message_free_unpacked(&got->base, NULL);
	}

	o = (struct bpfman_attach_opts){ .type = BPFMAN_PROG_XDP, .iface = "eth1",
					 .has_priority = true, .priority = 0,
					 .proceed_on = proceed_on, .n_proceed_on = 2 };
	got = attach_roundtrip(&o);
	if (got) {
		CHECK_EQ_INT(got->info_case, BPFMAN__V1__ATTACH_INFO__INFO_XDP_ATTACH_INFO);
		CHECK_STREQ(got->xdp_attach_info->iface, "eth1");
		CHECK_EQ_INT(got->xdp_attach_info->priority, 0);
		CHECK_EQ_INT(got->xdp_attach_info->n_proceed_on, 2);
		CHECK_EQ_INT(got->xdp_attach_info->proceed_on[1], 31);
		CHECK_EQ_INT(got->xdp_attach_info->_netns_case,
			     BPFMAN__V1__XDPATTACH_INFO___NETNS__NOT_SET);
		CHECK_EQ_INT(got->xdp_attach_info->n_metadata, 0);
		protobuf_c_message_free_unpacked(&got->base, NULL);
	}

	o = (struct bpfman_attach_opts){ .type = BPFMAN_PROG_TC, .iface = "eth2",
					 .has_priority = true, .priority = 35,
					 .direction = BPFMAN_DIR_INGRESS, .proceed_on = proceed_on,
					 .n_proceed_on = 1 };
	got = attach_roundtrip(&o);
	if (got) {
		CHECK_EQ_INT(got->info_case, BPFMAN__V1__ATTACH_INFO__INFO_TC_ATTACH_INFO);
		CHECK_STREQ(got->tc_attach_info->iface, "eth2");
		CHECK_EQ_INT(got->tc_attach_info->priority, 35);
		CHECK_STREQ(got->tc_attach_info->direction, "ingress");
		CHECK_EQ_INT(got->tc_attach_info->n_proceed_on, 1);
		CHECK_EQ_INT(got->tc_attach_info->proceed_on[0], 2);
		protobuf_c_message_free_unpacked(&got->base, NULL);
	}
}

static void test_attach_probes(void)
{
	struct bpfman_attach_opts o = { .type = BPFMAN_PROG_TRACEPOINT,
					.tracepoint = "syscalls/sys_enter_getpid",
					.metadata = &metadata };
	Bpfman__V1__AttachInfo *got = attach_roundtrip(&o);

	if (got) {
		CHECK_EQ_INT(got->info_case, BPFMAN__V1__ATTACH_INFO__INFO_TRACEPOINT_ATTACH_INFO);
		CHECK_STREQ(got->tracepoint_attach_info->tracepoint, "syscalls/sys_enter_getpid");
		CHECK_KV(got->tracepoint_attach_info, metadata, &metadata);
		protobuf_c_message_free_unpacked(&got->base, NULL);
	}

	o = (struct bpfman_attach_opts){ .type = BPFMAN_PROG_KPROBE, .fn_name = "do_unlinkat",
					 .offset = 8, .container_pid = 77 };
	got = attach_roundtrip(&o);
	if (got) {
		CHECK_EQ_INT(got->info_case, BPFMAN__V1__ATTACH_INFO__INFO_KPROBE_ATTACH_INFO);
		CHECK_STREQ(got->kprobe_attach_info->fn_name, "do_unlinkat");
		CHECK_EQ_INT(got->kprobe_attach_info->offset, 8);
		CHECK_EQ_INT(got->kprobe_attach_info->_container_pid_case,
			     BPFMAN__V1__KPROBE_ATTACH_INFO___CONTAINER_PID_CONTAINER_PID);
		CHECK_EQ_INT(got->kprobe_attach_info->container_pid, 77);
		protobuf_c_message_free_unpacked(&got->base, NULL);
	}

	o = (struct bpfman_attach_opts){ .type = BPFMAN_PROG_UPROBE, .fn_name = "",
					 .offset = 0x1234, .target = "libc", .pid = 99 };
	got = attach_roundtrip(&o);
	if (got) {
		Bpfman__V1__UprobeAttachInfo *u = got->uprobe_attach_info;

		CHECK_EQ_INT(got->info_case, BPFMAN__V1__ATTACH_INFO__INFO_UPROBE_ATTACH_INFO);
		/* present but empty survives: proto3 optional keeps presence */
		CHECK_EQ_INT(u->_fn_name_case, BPFMAN__V1__UPROBE_ATTACH_INFO___FN_NAME_FN_NAME);
		CHECK_STREQ(u->fn_name, "");
		CHECK_EQ_INT(u->offset, 0x1234);
		CHECK_STREQ(u->target, "libc");
		CHECK_EQ_INT(u->_pid_case, BPFMAN__V1__UPROBE_ATTACH_INFO___PID_PID);
		CHECK_EQ_INT(u->pid, 99);
		CHECK_EQ_INT(u->_container_pid_case,
			     BPFMAN__V1__UPROBE_ATTACH_INFO___CONTAINER_PID__NOT_SET);
		protobuf_c_message_free_unpacked(&got->base, NULL);
	}

	o = (struct bpfman_attach_opts){ .type = BPFMAN_PROG_UPROBE, .target = "/bin/x" };
	got = attach_roundtrip(&o);
	if (got) {
		CHECK_EQ_INT(got->uprobe_attach_info->_fn_name_case,
			     BPFMAN__V1__UPROBE_ATTACH_INFO___FN_NAME__NOT_SET);
		CHECK_EQ_INT(got->uprobe_attach_info->_pid_case,
			     BPFMAN__V1__UPROBE_ATTACH_INFO___PID__NOT_SET);
		protobuf_c_message_free_unpacked(&got->base, NULL);
	}
}

static void test_attach_metadata_only(void)
{
	static const struct {
		enum bpfman_prog_type type;
		Bpfman__V1__AttachInfo__InfoCase info_case;
	} cases[] = {
		{ BPFMAN_PROG_FENTRY, BPFMAN__V1__ATTACH_INFO__INFO_FENTRY_ATTACH_INFO },
		{ BPFMAN_PROG_FEXIT, BPFMAN__V1__ATTACH_INFO__INFO_FEXIT_ATTACH_INFO },
		{ BPFMAN_PROG_LSM, BPFMAN__V1__ATTACH_INFO__INFO_LSM_ATTACH_INFO },
	};
	struct pb_arena a = { 0 };
	const char *why = NULL;

	for (size_t i = 0; i < 3; i++) {
		struct bpfman_attach_opts o = { .type = cases[i].type, .metadata = &metadata };
		Bpfman__V1__AttachInfo *got = attach_roundtrip(&o);

		if (!got)
			continue;
		CHECK_EQ_INT(got->info_case, cases[i].info_case);
		/* the three messages have the same layout: one map */
		CHECK_KV(got->fentry_attach_info, metadata, &metadata);
		protobuf_c_message_free_unpacked(&got->base, NULL);
	}

	/* tc/tcx without a direction, unknown type: refused locally */
	Bpfman__V1__AttachInfo info = BPFMAN__V1__ATTACH_INFO__INIT;
	struct bpfman_attach_opts bad = { .type = BPFMAN_PROG_TCX, .iface = "lo" };

	CHECK_EQ_INT(client_build_attach_info(&a, &bad, &info, &why), -EINVAL);
	CHECK(why && strstr(why, "direction"));
	bad.type = (enum bpfman_prog_type)99;
	CHECK_EQ_INT(client_build_attach_info(&a, &bad, &info, &why), -EINVAL);
	pb_arena_free(&a);
}

static void test_list_request(void)
{
	struct bpfman_list_filter f = { .all = false, .has_kernel_type = true, .kernel_type = 5,
					.metadata = &metadata };
	Bpfman__V1__ListRequest req = BPFMAN__V1__LIST_REQUEST__INIT, *got;
	Bpfman__V1__ListRequest req2 = BPFMAN__V1__LIST_REQUEST__INIT;
	struct pb_arena a = { 0 };

	CHECK_EQ_INT(client_build_list_request(&a, &f, &req), 0);
	got = roundtrip(&req.base);
	if (got) {
		CHECK_EQ_INT(got->_program_type_case,
			     BPFMAN__V1__LIST_REQUEST___PROGRAM_TYPE_PROGRAM_TYPE);
		CHECK_EQ_INT(got->program_type, 5);
		CHECK_EQ_INT(got->_bpfman_programs_only_case,
			     BPFMAN__V1__LIST_REQUEST___BPFMAN_PROGRAMS_ONLY_BPFMAN_PROGRAMS_ONLY);
		CHECK_EQ_INT(got->bpfman_programs_only, 1);
		CHECK_KV(got, match_metadata, &metadata);
		protobuf_c_message_free_unpacked(&got->base, NULL);
	}

	/* all: programs_only is sent, as false */
	f = (struct bpfman_list_filter){ .all = true };
	CHECK_EQ_INT(client_build_list_request(&a, &f, &req2), 0);
	got = roundtrip(&req2.base);
	if (got) {
		CHECK_EQ_INT(got->_program_type_case,
			     BPFMAN__V1__LIST_REQUEST___PROGRAM_TYPE__NOT_SET);
		CHECK_EQ_INT(got->_bpfman_programs_only_case,
			     BPFMAN__V1__LIST_REQUEST___BPFMAN_PROGRAMS_ONLY_BPFMAN_PROGRAMS_ONLY);
		CHECK_EQ_INT(got->bpfman_programs_only, 0);
		CHECK_EQ_INT(got->n_match_metadata, 0);
		protobuf_c_message_free_unpacked(&got->base, NULL);
	}
	pb_arena_free(&a);
}

/* A Get answer as a server would build it. */
static Bpfman__V1__GetResponse *server_answer(bool managed, const char *kernel_name,
					      char *map_used_by_1)
{
	static uint32_t map_ids[] = { 3, 4 }, links[] = { 7, 8 };
	static uint8_t data[] = { 9, 8, 7 };
	Bpfman__V1__KernelProgramInfo k = BPFMAN__V1__KERNEL_PROGRAM_INFO__INIT;
	Bpfman__V1__ProgramInfo pi = BPFMAN__V1__PROGRAM_INFO__INIT;
	Bpfman__V1__BytecodeLocation loc = BPFMAN__V1__BYTECODE_LOCATION__INIT;
	Bpfman__V1__ProgramInfo__GlobalDataEntry g =
		BPFMAN__V1__PROGRAM_INFO__GLOBAL_DATA_ENTRY__INIT;
	Bpfman__V1__ProgramInfo__MetadataEntry m0 = BPFMAN__V1__PROGRAM_INFO__METADATA_ENTRY__INIT;
	Bpfman__V1__ProgramInfo__MetadataEntry m1 = BPFMAN__V1__PROGRAM_INFO__METADATA_ENTRY__INIT;
	Bpfman__V1__ProgramInfo__GlobalDataEntry *gs[] = { &g };
	Bpfman__V1__ProgramInfo__MetadataEntry *ms[] = { &m0, &m1 };
	char *used_by[] = { "12", map_used_by_1 };
	Bpfman__V1__GetResponse resp = BPFMAN__V1__GET_RESPONSE__INIT;

	k.id = 12;
	k.name = (char *)kernel_name;
	k.program_type = 5;
	k.loaded_at = "2024-01-02T03:04:05+0000";
	k.tag = "0123456789abcdef";
	k.gpl_compatible = 1;
	k.n_map_ids = 2;
	k.map_ids = map_ids;
	k.btf_id = 21;
	k.bytes_xlated = 96;
	k.jited = 1;
	k.bytes_jited = 64;
	k.bytes_memlock = 4096;
	k.verified_insns = 11;

	loc.location_case = BPFMAN__V1__BYTECODE_LOCATION__LOCATION_FILE;
	loc.file = "/srv/obj.bpf.o";
	g.key = "increment";
	g.value.len = sizeof(data);
	g.value.data = data;
	m0.key = metadata_items[0].key;
	m0.value = metadata_items[0].value;
	m1.key = metadata_items[1].key;
	m1.value = metadata_items[1].value;
	pi.name = "tracepoint_counter";
	pi.bytecode = &loc;
	pi.n_links = 2;
	pi.links = links;
	pi.n_global_data = 1;
	pi.global_data = gs;
	pi._map_owner_id_case = BPFMAN__V1__PROGRAM_INFO___MAP_OWNER_ID_MAP_OWNER_ID;
	pi.map_owner_id = 0; /* present although zero */
	pi.map_pin_path = "/run/bpfman/fs/maps/12";
	pi.n_map_used_by = 2;
	pi.map_used_by = used_by;
	pi.n_metadata = 2;
	pi.metadata = ms;

	resp.kernel_info = &k;
	if (managed) {
		resp._info_case = BPFMAN__V1__GET_RESPONSE___INFO_INFO;
		resp.info = &pi;
	}
	return roundtrip(&resp.base);
}

static void test_answer(void)
{
	Bpfman__V1__GetResponse *resp = server_answer(true, "tracepoint_counter", "13");
	struct bpfman_program_view v;
	struct bpfman_program *p;

	if (!resp)
		return;
	CHECK_EQ_INT(client_view_from_pb(resp->info, resp->kernel_info, &v), 0);
	protobuf_c_message_free_unpacked(&resp->base, NULL);

	CHECK_EQ_INT(v.kernel.id, 12);
	CHECK_STREQ(v.kernel.name, "tracepoint_counter");
	CHECK_EQ_INT(v.kernel.type, 5);
	CHECK_STREQ(v.kernel.loaded_at, "2024-01-02T03:04:05+0000");
	CHECK_STREQ(v.kernel.tag, "0123456789abcdef");
	CHECK_EQ_INT(v.kernel.gpl_compatible, 1);
	CHECK_EQ_INT(v.kernel.n_map_ids, 2);
	CHECK(v.kernel.map_ids && v.kernel.map_ids[0] == 3 && v.kernel.map_ids[1] == 4);
	CHECK_EQ_INT(v.kernel.btf_id, 21);
	CHECK_EQ_INT(v.kernel.bytes_xlated, 96);
	CHECK_EQ_INT(v.kernel.jited, 1);
	CHECK_EQ_INT(v.kernel.bytes_jited, 64);
	CHECK_EQ_INT(v.kernel.bytes_memlock, 4096);
	CHECK_EQ_INT(v.kernel.verified_insns, 11);

	p = v.program;
	CHECK(p != NULL);
	if (p) {
		CHECK_EQ_INT(p->id, 12);
		CHECK_STREQ(p->name, "tracepoint_counter");
		CHECK_EQ_INT(p->type, BPFMAN_PROG_TRACEPOINT);
		CHECK(p->attach_fn == NULL);
		CHECK_EQ_INT(p->retprobe, 0);
		CHECK_STREQ(p->path, "/srv/obj.bpf.o");
		CHECK(p->image_url == NULL);
		CHECK_EQ_INT(p->n_globals, 1);
		CHECK_STREQ(p->globals[0].name, "increment");
		CHECK_EQ_INT(p->globals[0].len, 3);
		CHECK(memcmp(p->globals[0].data, "\x09\x08\x07", 3) == 0);
		CHECK_EQ_INT(p->metadata.n, 2);
		CHECK_STREQ(kv_list_get(&p->metadata, "bpfman_application"), "demo");
		CHECK_STREQ(kv_list_get(&p->metadata, "owner"), "me");
		CHECK_EQ_INT(p->has_map_owner, 1);
		CHECK_EQ_INT(p->map_owner_id, 0);
		CHECK_STREQ(p->map_pin_path, "/run/bpfman/fs/maps/12");
		CHECK_EQ_INT(p->n_map_used_by, 2);
		CHECK(p->map_used_by[0] == 12 && p->map_used_by[1] == 13);
		CHECK_EQ_INT(p->n_links, 2);
		CHECK(p->links[0] == 7 && p->links[1] == 8);
	}
	bpfman_program_view_clear(&v);
}

static void test_answer_edges(void)
{
	char long_name[200];
	Bpfman__V1__GetResponse *resp;
	struct bpfman_program_view v;

	/* not managed: kernel part only; the name is cut to fit */
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	resp = server_answer(false, long_name, "13");
	if (resp) {
		CHECK_EQ_INT(resp->_info_case, BPFMAN__V1__GET_RESPONSE___INFO__NOT_SET);
		CHECK_EQ_INT(client_view_from_pb(NULL, resp->kernel_info, &v), 0);
		CHECK(v.program == NULL);
		CHECK_EQ_INT(strlen(v.kernel.name), sizeof(v.kernel.name) - 1);
		bpfman_program_view_clear(&v);
		protobuf_c_message_free_unpacked(&resp->base, NULL);
	}

	/* a map_used_by that is no program id: a protocol error, nothing leaked */
	resp = server_answer(true, "x", "13x");
	if (resp) {
		CHECK_EQ_INT(client_view_from_pb(resp->info, resp->kernel_info, &v), -EPROTO);
		CHECK(v.program == NULL && v.kernel.map_ids == NULL);
		protobuf_c_message_free_unpacked(&resp->base, NULL);
	}

	/* no kernel part at all: zeroes */
	CHECK_EQ_INT(client_view_from_pb(NULL, NULL, &v), 0);
	CHECK_EQ_INT(v.kernel.id, 0);
	CHECK_STREQ(v.kernel.name, "");
}

static void test_kernel_types(void)
{
	CHECK_EQ_INT(client_prog_type_from_kernel(6), BPFMAN_PROG_XDP);
	CHECK_EQ_INT(client_prog_type_from_kernel(3), BPFMAN_PROG_TC);
	CHECK_EQ_INT(client_prog_type_from_kernel(5), BPFMAN_PROG_TRACEPOINT);
	CHECK_EQ_INT(client_prog_type_from_kernel(2), BPFMAN_PROG_KPROBE);
	CHECK_EQ_INT(client_prog_type_from_kernel(26), BPFMAN_PROG_FENTRY);
	CHECK_EQ_INT(client_prog_type_from_kernel(29), BPFMAN_PROG_LSM);
	CHECK_EQ_INT(client_prog_type_from_kernel(1), _BPFMAN_PROG_TYPE_INVALID);
}

int main(void)
{
	test_load_request();
	test_load_request_image_and_errors();
	test_attach_net();
	test_attach_probes();
	test_attach_metadata_only();
	test_list_request();
	test_answer();
	test_answer_edges();
	test_kernel_types();
	return TEST_RESULT();
}
