/* Rendering of programs and links: aligned text as the reference prints it, or JSON with
 * stable snake_case keys (numbers as numbers). One data source, two printers, side by
 * side in one file so they cannot drift apart. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cleanup.h"
#include "cli.h"
#include "log.h"
#include "parse-util.h"


int output_format_from(const struct parsed *p, enum output_format *ret)
{
	const char *o = opt_value(p, "output");

	if (!o || !strcmp(o, "table"))
		*ret = OUTPUT_TABLE;
	else if (!strcmp(o, "json")) {
		*ret = OUTPUT_JSON;
		cli_set_json_errors(true);
	}
	else {
		cli_usage_error("invalid output format '%s' (expected table or json)", o);
		return -EINVAL;
	}
	return 0;
}

/* In JSON mode the first error is also {"error": "..."} on stdout, so what a script reads
 * stays one JSON document whatever failed (bpftool does the same). */
static bool json_errors, json_error_printed;

void cli_set_json_errors(bool on)
{
	json_errors = on;
}

void cli_log_writer(enum log_level level, const char *msg)
{
	static const char *const prefix[] = { "Error: ", "Warning: ", "", "" };

	if (level == LOG_LEVEL_ERROR && json_errors && !json_error_printed) {
		json_t *o = json_pack("{s:s}", "error", msg);

		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		fflush(stdout);
		json_decref(o);
		json_error_printed = true;
	}
	fprintf(stderr, "%s%s\n", prefix[level], msg);
}

/* The document of a JSON run: after it, errors go to stderr only (stdout stays one JSON
 * document; apply and verify print their results and then log what failed). */
void cli_print_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2));
	putchar('\n');
	fflush(stdout);
	json_decref(j);
	json_error_printed = true;
}

/* cli_log_writer prints the first error of a JSON run as {"error": ...} on stdout */
void print_error(enum output_format f, const char *msg)
{
	if (f == OUTPUT_JSON)
		cli_set_json_errors(true);
	log_error("%s", msg);
}

static json_t *view_json(const struct bpfman_program_view *v);
static void dump(json_t *j);

/* ---- text: label/value blocks ---- */

static void block(const char *title, size_t dashes, const char *const *labels,
		  char *const *values, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++)
		if (strlen(labels[i]) > w)
			w = strlen(labels[i]);
	printf(" %s\n", title);
	for (size_t i = 0; i < dashes; i++)
		putchar('-');
	putchar('\n');
	for (size_t i = 0; i < n; i++) {
		/* continuation lines of a multi-line value line up with the first */
		const char *v = values[i] ? values[i] : "None";

		printf(" %-*s  ", (int)w, labels[i]);
		for (const char *c = v; *c; c++) {
			putchar(*c);
			if (*c == '\n')
				printf(" %-*s  ", (int)w, "");
		}
		putchar('\n');
	}
}

static char *strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *strf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static char *u32_list(const uint32_t *v, size_t n, const char *sep)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%u", i ? sep : "", v[i]);
	fclose(f);
	return buf;
}

static char *globals_text(const struct bpfman_program *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!p->n_globals)
		return strdup("None");
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < p->n_globals; i++) {
		_cleanup_free_ char *hex = hex_string(p->globals[i].data, p->globals[i].len);

		fprintf(f, "%s%s=%s", i ? "\n" : "", p->globals[i].name, hex ? hex : "");
	}
	fclose(f);
	return buf;
}

static void print_bpfman_block(const struct bpfman_program *p)
{
	/* a file's program shows its path; an image's its reference, policy and digest */
	bool image = !p->path && p->image_url;
	const char *labels[11];
	char *values[11] = { 0 };
	char *buf = NULL;
	size_t len = 0, n = 0;
	FILE *f;

	labels[n] = "BPF Function:";
	values[n++] = strdup(p->name);
	labels[n] = "Program Type:";
	if (p->type == BPFMAN_PROG_KPROBE || p->type == BPFMAN_PROG_UPROBE)
		values[n++] = strf("%s", p->type == BPFMAN_PROG_KPROBE
						 ? (p->retprobe ? "kretprobe" : "kprobe")
						 : (p->retprobe ? "uretprobe" : "uprobe"));
	else
		values[n++] = strdup(bpfman_prog_type_to_string(p->type));
	if (image) {
		const char *policy = bpfman_pull_policy_to_string(p->pull_policy);

		labels[n] = "Image URL:";
		values[n++] = strdup(p->image_url);
		labels[n] = "Pull Policy:";
		values[n++] = policy ? strdup(policy) : strf("%d", p->pull_policy);
		labels[n] = "Image Digest:";
		values[n++] = strdup(p->image_digest ? p->image_digest : "None");
	} else {
		labels[n] = "Path:";
		values[n++] = strdup(p->path ? p->path : "None");
	}
	labels[n] = "Global:";
	values[n++] = globals_text(p);
	labels[n] = "Metadata:";
	values[n++] = kv_list_format(&p->metadata);
	labels[n] = "Map Pin Path:";
	values[n++] = strdup(p->map_pin_path);
	labels[n] = "Map Owner ID:";
	values[n++] = p->has_map_owner ? strf("%u", p->map_owner_id) : strdup("None");
	labels[n] = "Maps Used By:";
	values[n++] = u32_list(p->map_used_by, p->n_map_used_by, "\n");
	f = open_memstream(&buf, &len);
	if (f) {
		for (size_t i = 0; i < p->n_links; i++)
			fprintf(f, "%s%u", i ? "\n" : "", p->links[i]);
		if (!p->n_links)
			fputs("None", f);
		fclose(f);
	}
	labels[n] = "Links:";
	values[n++] = buf;
	block("Bpfman State", 15, labels, values, n);
	for (size_t i = 0; i < n; i++)
		free(values[i]);
}

static void print_kernel_block(const struct bpfman_kernel_info *k)
{
	const char *labels[] = { "Program ID:",
				 "BPF Function:",
				 "Kernel Type:",
				 "Loaded At:",
				 "Tag:",
				 "GPL Compatible:",
				 "Map IDs:",
				 "BTF ID:",
				 "Size Translated (bytes):",
				 "JITted:",
				 "Size JITted:",
				 "Kernel Allocated Memory (bytes):",
				 "Verified Instruction Count:" };
	_cleanup_free_ char *maps = u32_list(k->map_ids, k->n_map_ids, ", ");
	char *values[13] = {
		strf("%u", k->id),
		strdup(k->name),
		strdup(bpfman_kernel_type_to_string(k->type)),
		strdup(k->loaded_at),
		strdup(k->tag),
		strdup(k->gpl_compatible ? "true" : "false"),
		strf("[%s]", maps ? maps : ""),
		strf("%u", k->btf_id),
		strf("%u", k->bytes_xlated),
		strdup(k->jited ? "true" : "false"),
		strf("%u", k->bytes_jited),
		strf("%u", k->bytes_memlock),
		strf("%u", k->verified_insns),
	};

	block("Kernel State", 34, labels, values, 13);
	for (size_t i = 0; i < 13; i++)
		free(values[i]);
}

void print_program_view(const struct bpfman_program_view *v, enum output_format f)
{
	print_program_view_counts(v, NULL, 0, f);
}

/* ---- JSON ---- */

static json_t *kv_json(const struct kv_list *l)
{
	json_t *o = json_object();

	for (size_t i = 0; i < l->n; i++)
		json_object_set_new(o, l->items[i].key, json_string(l->items[i].value));
	return o;
}

static json_t *u32_array(const uint32_t *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

static json_t *program_json(const struct bpfman_program *p)
{
	json_t *o = json_object(), *g = json_object();

	for (size_t i = 0; i < p->n_globals; i++) {
		_cleanup_free_ char *hex = hex_string(p->globals[i].data, p->globals[i].len);

		json_object_set_new(g, p->globals[i].name, json_string(hex ? hex : ""));
	}
	json_object_set_new(o, "name", json_string(p->name));
	json_object_set_new(o, "program_type", json_string(bpfman_prog_type_to_string(p->type)));
	json_object_set_new(o, "retprobe", json_boolean(p->retprobe));
	json_object_set_new(o, "attach_fn", p->attach_fn ? json_string(p->attach_fn) : json_null());
	json_object_set_new(o, "path", p->path ? json_string(p->path) : json_null());
	json_object_set_new(o, "image_url", p->image_url ? json_string(p->image_url) : json_null());
	json_object_set_new(o, "pull_policy",
			    p->image_url && bpfman_pull_policy_to_string(p->pull_policy)
				    ? json_string(bpfman_pull_policy_to_string(p->pull_policy))
				    : json_null());
	json_object_set_new(o, "image_digest",
			    p->image_digest ? json_string(p->image_digest) : json_null());
	json_object_set_new(o, "global_data", g);
	json_object_set_new(o, "metadata", kv_json(&p->metadata));
	json_object_set_new(o, "map_pin_path", json_string(p->map_pin_path));
	json_object_set_new(o, "map_owner_id",
			    p->has_map_owner ? json_integer(p->map_owner_id) : json_null());
	json_object_set_new(o, "map_used_by", u32_array(p->map_used_by, p->n_map_used_by));
	json_object_set_new(o, "links", u32_array(p->links, p->n_links));
	return o;
}

static json_t *kernel_json(const struct bpfman_kernel_info *k)
{
	return json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:b, s:o, s:I, s:I, s:b, s:I, s:I, s:I}",
			 "id", (json_int_t)k->id, "name", k->name, "program_type",
			 (json_int_t)k->type, "program_type_name",
			 bpfman_kernel_type_to_string(k->type), "loaded_at", k->loaded_at, "tag",
			 k->tag, "gpl_compatible", k->gpl_compatible, "map_ids",
			 u32_array(k->map_ids, k->n_map_ids), "btf_id", (json_int_t)k->btf_id,
			 "bytes_xlated", (json_int_t)k->bytes_xlated, "jited", k->jited,
			 "bytes_jited", (json_int_t)k->bytes_jited, "bytes_memlock",
			 (json_int_t)k->bytes_memlock, "verified_insns",
			 (json_int_t)k->verified_insns);
}

static json_t *view_json(const struct bpfman_program_view *v)
{
	return json_pack("{s:o, s:o}", "bpfman", v->program ? program_json(v->program) : json_null(),
			 "kernel", kernel_json(&v->kernel));
}

static void dump(json_t *j)
{
	cli_print_json(json_incref(j));
}

/* ---- tables ---- */

struct table {
	size_t cols;
	char **cells; /* row-major, first row = header */
	size_t rows;
};

static void table_add(struct table *t, char **row)
{
	char **c = reallocarray(t->cells, (t->rows + 1) * t->cols, sizeof(*c));

	if (!c)
		return;
	t->cells = c;
	memcpy(&c[t->rows * t->cols], row, t->cols * sizeof(*c));
	t->rows++;
}

static void table_print_free(struct table *t)
{
	size_t w[16] = { 0 };

	for (size_t r = 0; r < t->rows; r++)
		for (size_t c = 0; c < t->cols; c++) {
			const char *s = t->cells[r * t->cols + c];

			if (s && strlen(s) > w[c])
				w[c] = strlen(s);
		}
	for (size_t r = 0; r < t->rows; r++) {
		for (size_t c = 0; c < t->cols; c++) {
			const char *s = t->cells[r * t->cols + c];

			if (c + 1 < t->cols)
				printf(" %-*s ", (int)w[c], s ? s : "");
			else
				printf(" %s", s ? s : "");
		}
		putchar('\n');
	}
	for (size_t i = 0; i < t->rows * t->cols; i++)
		free(t->cells[i]);
	free(t->cells);
}

static char *links_cell(const struct bpfman_program *p)
{
	_cleanup_free_ char *ids = NULL;

	if (!p || !p->n_links)
		return strdup("");
	ids = u32_list(p->links, p->n_links, ", ");
	return strf("(%zu) %s", p->n_links, ids ? ids : "");
}

void print_program_views(const struct bpfman_program_view *v, size_t n, enum output_format f,
			 bool as_list)
{
	if (f == OUTPUT_JSON) {
		json_t *a = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, view_json(&v[i]));
		dump(a);
		json_decref(a);
		return;
	}
	if (!as_list) {
		for (size_t i = 0; i < n; i++)
			print_program_view(&v[i], f);
		return;
	}
	struct table t = { .cols = 5 };
	char *head[] = { strdup("Program ID"), strdup("Application"), strdup("Type"),
			 strdup("Function Name"), strdup("Links") };

	table_add(&t, head);
	for (size_t i = 0; i < n; i++) {
		const struct bpfman_program *p = v[i].program;
		const char *app = p ? kv_list_get(&p->metadata, "bpfman_application") : NULL;
		char *row[] = {
			strf("%u", v[i].kernel.id),
			strdup(app ? app : ""),
			strdup(p ? bpfman_prog_type_to_string(p->type)
				 : bpfman_kernel_type_to_string(v[i].kernel.type)),
			strdup(p ? p->name : v[i].kernel.name),
			links_cell(p),
		};
		table_add(&t, row);
	}
	table_print_free(&t);
}

/* The name of counts index i: an action of the type, or "other". */
static const char *count_name(enum bpfman_prog_type t, int i)
{
	const char *n = i == 15 ? NULL
				: bpfman_proceed_on_to_string(t, t == BPFMAN_PROG_XDP ? i : i - 1);

	return n ? n : "other";
}

static json_t *counts_json(enum bpfman_prog_type t, const struct bpfman_slot_counts *c)
{
	json_t *o = json_object(), *a = json_object();

	json_object_set_new(o, "packets", json_integer((json_int_t)c->packets));
	for (int i = 0; i < 16; i++)
		if (c->actions[i])
			json_object_set_new(a, count_name(t, i), json_integer((json_int_t)c->actions[i]));
	json_object_set_new(o, "actions", a);
	return o;
}

static char *counts_text(enum bpfman_prog_type t, const struct bpfman_slot_counts *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool first = true;

	if (!f)
		return NULL;
	for (int i = 0; i < 16; i++)
		if (c->actions[i]) {
			fprintf(f, "%s%s: %llu", first ? "" : ", ", count_name(t, i),
				(unsigned long long)c->actions[i]);
			first = false;
		}
	fclose(f);
	return buf;
}

static char *mode_text(const struct bpfman_link *l)
{
	if (!l->dispatched)
		return strdup(l->type == BPFMAN_PROG_XDP ? "direct (no dispatcher: one program per interface)"
							 : "direct (own cls_bpf filter; continues on unspec only)");
	if (l->dispatcher_id)
		return strf("dispatcher %u", l->dispatcher_id);
	return strdup("dispatcher (not running)");
}

static json_t *link_json(const struct bpfman_link *l)
{
	_cleanup_free_ char *att = bpfman_link_attachment(l);
	json_t *o = json_object(), *po = json_array();

	for (size_t i = 0; i < l->n_proceed_on; i++)
		json_array_append_new(po, json_integer(l->proceed_on[i]));
	json_object_set_new(o, "id", json_integer(l->id));
	json_object_set_new(o, "program_id", json_integer(l->prog_id));
	json_object_set_new(o, "program_type", json_string(bpfman_prog_type_to_string(l->type)));
	json_object_set_new(o, "function_name", json_string(l->prog_name ? l->prog_name : ""));
	json_object_set_new(o, "application", l->application ? json_string(l->application) : json_null());
	json_object_set_new(o, "kernel_link_id", json_integer(l->kernel_link_id));
	json_object_set_new(o, "attachment", json_string(att ? att : ""));
	json_object_set_new(o, "iface", l->iface ? json_string(l->iface) : json_null());
	json_object_set_new(o, "direction", l->direction ? json_string(bpfman_direction_to_string(l->direction)) : json_null());
	json_object_set_new(o, "priority", json_integer(l->priority));
	json_object_set_new(o, "position", l->position >= 0 ? json_integer(l->position) : json_null());
	json_object_set_new(o, "netns", l->netns ? json_string(l->netns) : json_null());
	json_object_set_new(o, "proceed_on", po);
	json_object_set_new(o, "tracepoint", l->tracepoint ? json_string(l->tracepoint) : json_null());
	json_object_set_new(o, "fn_name", l->fn_name ? json_string(l->fn_name) : json_null());
	json_object_set_new(o, "offset", json_integer((json_int_t)l->offset));
	json_object_set_new(o, "target", l->target ? json_string(l->target) : json_null());
	json_object_set_new(o, "pid", l->pid ? json_integer(l->pid) : json_null());
	json_object_set_new(o, "container_pid", l->container_pid ? json_integer(l->container_pid) : json_null());
	json_object_set_new(o, "metadata", kv_json(&l->metadata));
	if (l->type == BPFMAN_PROG_XDP || l->type == BPFMAN_PROG_TC) {
		json_object_set_new(o, "mode", json_string(l->dispatched ? "dispatcher" : "direct"));
		json_object_set_new(o, "dispatcher_id",
				    l->dispatcher_id ? json_integer(l->dispatcher_id) : json_null());
		json_object_set_new(o, "counts", l->has_counts ? counts_json(l->type, &l->counts)
							       : json_null());
	}
	return o;
}

static char *proceed_on_text(const struct bpfman_link *l)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < l->n_proceed_on; i++) {
		const char *name = bpfman_proceed_on_to_string(l->type, l->proceed_on[i]);

		if (name)
			fprintf(f, "%s%s", i ? ", " : "", name);
		else
			fprintf(f, "%s%d", i ? ", " : "", l->proceed_on[i]);
	}
	fclose(f);
	return buf;
}

void print_link(const struct bpfman_link *l, enum output_format f)
{
	const char *labels[16];
	char *values[16];
	size_t n = 0;

	if (f == OUTPUT_JSON) {
		json_t *o = link_json(l);

		dump(o);
		json_decref(o);
		return;
	}
#define ROW(label, value)             \
	do {                          \
		labels[n] = (label);  \
		values[n++] = (value); \
	} while (0)
	ROW("BPF Function:", strdup(l->prog_name ? l->prog_name : ""));
	ROW("Program Type:", strdup(bpfman_prog_type_to_string(l->type)));
	ROW("Program ID:", strf("%u", l->prog_id));
	ROW("Link ID:", strf("%u", l->id));
	switch (l->type) {
	case BPFMAN_PROG_XDP:
	case BPFMAN_PROG_TC:
	case BPFMAN_PROG_TCX:
		ROW("Interface:", strdup(l->iface ? l->iface : ""));
		if (l->type != BPFMAN_PROG_XDP)
			ROW("Direction:", strdup(bpfman_direction_to_string(l->direction)));
		ROW("Priority:", strf("%d", l->priority));
		ROW("Position:", l->position >= 0 ? strf("%d", l->position) : strdup("None"));
		if (l->type != BPFMAN_PROG_TCX)
			ROW("Proceed On:", proceed_on_text(l));
		ROW("Network Namespace:", strdup(l->netns ? l->netns : "None"));
		if (l->type != BPFMAN_PROG_TCX)
			ROW("Mode:", mode_text(l));
		if (l->has_counts) {
			ROW("Packets:", strf("%llu", (unsigned long long)l->counts.packets));
			ROW("Returned:", counts_text(l->type, &l->counts));
		}
		break;
	case BPFMAN_PROG_TRACEPOINT:
		ROW("Tracepoint:", strdup(l->tracepoint ? l->tracepoint : ""));
		break;
	case BPFMAN_PROG_KPROBE:
		ROW("Function Name:", strdup(l->fn_name ? l->fn_name : ""));
		ROW("Offset:", strf("%llu", (unsigned long long)l->offset));
		ROW("Retprobe:", strdup(l->retprobe ? "true" : "false"));
		break;
	case BPFMAN_PROG_UPROBE:
		ROW("Target:", strdup(l->target ? l->target : ""));
		ROW("Function Name:", strdup(l->fn_name ? l->fn_name : "None"));
		ROW("Offset:", strf("%llu", (unsigned long long)l->offset));
		ROW("Retprobe:", strdup(l->retprobe ? "true" : "false"));
		ROW("PID:", l->pid ? strf("%d", l->pid) : strdup("None"));
		ROW("Container PID:", l->container_pid ? strf("%d", l->container_pid) : strdup("None"));
		break;
	default:
		break;
	}
	ROW("Metadata:", kv_list_format(&l->metadata));
#undef ROW
	block("Bpfman State", 15, labels, values, n);
	for (size_t i = 0; i < n; i++)
		free(values[i]);
}

void print_links(const struct bpfman_link *l, size_t n, enum output_format f)
{
	if (f == OUTPUT_JSON) {
		json_t *a = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, link_json(&l[i]));
		dump(a);
		json_decref(a);
		return;
	}
	struct table t = { .cols = 6 };
	char *head[] = { strdup("Program ID"), strdup("Link ID"), strdup("Application"),
			 strdup("Type"), strdup("Function Name"), strdup("Attachment") };

	table_add(&t, head);
	for (size_t i = 0; i < n; i++) {
		char *row[] = {
			strf("%u", l[i].prog_id),
			strf("%u", l[i].id),
			strdup(l[i].application ? l[i].application : ""),
			strdup(bpfman_prog_type_to_string(l[i].type)),
			strdup(l[i].prog_name ? l[i].prog_name : ""),
			bpfman_link_attachment(&l[i]),
		};
		table_add(&t, row);
	}
	table_print_free(&t);
}

void print_chain(const char *iface, const struct bpfman_chain *c, enum output_format f)
{
	const char *hook = c->type == BPFMAN_PROG_XDP ? "xdp" : bpfman_direction_to_string(c->direction);

	if (f == OUTPUT_JSON) {
		json_t *o = json_object(), *a = json_array();

		json_object_set_new(o, "interface", json_string(iface));
		json_object_set_new(o, "hook", json_string(c->type == BPFMAN_PROG_XDP ? "xdp" : "tc"));
		json_object_set_new(o, "direction", c->type == BPFMAN_PROG_TC ? json_string(hook) : json_null());
		json_object_set_new(o, "dispatcher_id", c->dispatcher_id ? json_integer(c->dispatcher_id) : json_null());
		json_object_set_new(o, "mode", c->mode[0] ? json_string(c->mode) : json_null());
		json_object_set_new(o, "counting", json_boolean(c->counting));
		json_object_set_new(o, "foreign_program_id", c->foreign_id ? json_integer(c->foreign_id) : json_null());
		for (size_t i = 0; i < c->n; i++) {
			const struct bpfman_chain_slot *s = &c->slots[i];
			json_t *e = json_object(), *po = json_array();

			for (size_t k = 0; k < s->n_proceed_on; k++)
				json_array_append_new(po, json_integer(s->proceed_on[k]));
			json_object_set_new(e, "position", json_integer((json_int_t)i));
			json_object_set_new(e, "priority", json_integer(s->priority));
			json_object_set_new(e, "program_id", json_integer(s->prog_id));
			json_object_set_new(e, "function_name", json_string(s->name));
			json_object_set_new(e, "link_id", s->link_id ? json_integer(s->link_id) : json_null());
			json_object_set_new(e, "proceed_on", po);
			json_object_set_new(e, "counts", s->has_counts ? counts_json(c->type, &s->counts) : json_null());
			json_array_append_new(a, e);
		}
		json_object_set_new(o, "programs", a);
		dump(o);
		json_decref(o);
		return;
	}
	if (c->foreign_id) {
		printf("%s %s: program %u, not a dispatcher\n", iface, hook, c->foreign_id);
		return;
	}
	if (!c->dispatcher_id) {
		printf("%s %s: no dispatcher\n", iface, hook);
		return;
	}
	printf("%s %s: dispatcher %u%s%s%s\n", iface, hook, c->dispatcher_id, c->mode[0] ? ", " : "",
	       c->mode, c->counting ? ", counting" : "");
	struct table t = { .cols = c->counting ? 8 : 6 };
	char *head[] = { strdup("Position"), strdup("Priority"), strdup("Program ID"),
			 strdup("Function Name"), strdup("Link ID"), strdup("Proceed On"),
			 strdup("Packets"), strdup("Returned") };

	table_add(&t, head);
	if (!c->counting) {
		free(head[6]);
		free(head[7]);
	}
	for (size_t i = 0; i < c->n; i++) {
		const struct bpfman_chain_slot *s = &c->slots[i];
		struct bpfman_link as_link = { .type = c->type, .proceed_on = s->proceed_on,
					       .n_proceed_on = s->n_proceed_on };
		char *row[] = {
			strf("%zu", i),
			strf("%u", s->priority),
			strf("%u", s->prog_id),
			strdup(s->name),
			s->link_id ? strf("%u", s->link_id) : strdup("(not bpfman)"),
			proceed_on_text(&as_link),
			s->has_counts ? strf("%llu", (unsigned long long)s->counts.packets) : strdup(""),
			s->has_counts ? counts_text(c->type, &s->counts) : strdup(""),
		};
		table_add(&t, row);
		if (!c->counting) {
			free(row[6]);
			free(row[7]);
		}
	}
	table_print_free(&t);
}

/* get program of an xdp/tc program under a dispatcher: the per-slot counts of each of its
 * links (the kernel charges a dispatcher's packets to the dispatcher, not to its members). */
void print_program_view_counts(const struct bpfman_program_view *v, const struct bpfman_link *l,
			       size_t n, enum output_format f)
{
	size_t with = 0;

	for (size_t i = 0; i < n; i++)
		with += l[i].has_counts;
	if (f == OUTPUT_JSON) {
		json_t *o = view_json(v);

		if (with) {
			json_t *a = json_array();

			for (size_t i = 0; i < n; i++) {
				json_t *e;

				if (!l[i].has_counts)
					continue;
				e = counts_json(l[i].type, &l[i].counts);
				json_object_set_new(e, "link_id", json_integer(l[i].id));
				json_array_append_new(a, e);
			}
			json_object_set_new(o, "dispatcher_counts", a);
		}
		dump(o);
		json_decref(o);
		return;
	}
	if (v->program)
		print_bpfman_block(v->program);
	print_kernel_block(&v->kernel);
	if (!with)
		return;
	printf(" Dispatcher Counts\n");
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *att = NULL, *ret = NULL;

		if (!l[i].has_counts)
			continue;
		att = bpfman_link_attachment(&l[i]);
		ret = counts_text(l[i].type, &l[i].counts);
		printf(" Link %u (%s): %llu packets%s%s\n", l[i].id, att ? att : "",
		       (unsigned long long)l[i].counts.packets, ret && *ret ? "; " : "",
		       ret ? ret : "");
	}
}
