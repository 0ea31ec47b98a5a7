/* The first pass over a file: libyaml's event parser (iterative, no recursion) checks the
 * bounds before the document loader (recursive, and it shares aliased nodes) ever sees the
 * text. A "billion laughs" file is small but its aliases expand to billions of nodes; a file
 * of a million `[` nests the loader a million calls deep. Both are refused here with the
 * line where the bound was crossed. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "app-yaml.h"

struct anchor {
	char *name;
	size_t size; /* nodes after expansion; 0 while its collection is still open */
};

struct scan {
	size_t stack[APP_YAML_MAX_DEPTH + 1]; /* expanded nodes of each open collection */
	size_t open_anchor[APP_YAML_MAX_DEPTH + 1]; /* index in anchors, or SIZE_MAX */
	int depth;
	struct anchor anchors[APP_YAML_MAX_ANCHORS];
	size_t n_anchors;
};

static void scan_reset(struct scan *s)
{
	for (size_t i = 0; i < s->n_anchors; i++)
		free(s->anchors[i].name);
	s->n_anchors = 0;
	s->depth = 0;
}

static struct anchor *anchor_find(struct scan *s, const char *name)
{
	/* the latest definition wins, as in YAML */
	for (size_t i = s->n_anchors; i > 0; i--)
		if (!strcmp(s->anchors[i - 1].name, name))
			return &s->anchors[i - 1];
	return NULL;
}

static int anchor_add(struct scan *s, const char *name, size_t size)
{
	if (s->n_anchors == APP_YAML_MAX_ANCHORS)
		return -E2BIG;
	s->anchors[s->n_anchors].name = strdup(name);
	if (!s->anchors[s->n_anchors].name)
		return -ENOMEM;
	s->anchors[s->n_anchors++].size = size;
	return 0;
}

/* Adds n expanded nodes to the open collection (or the document). */
static int add_nodes(struct scan *s, size_t n)
{
	size_t *top = &s->stack[s->depth];

	if (n > APP_YAML_MAX_NODES || *top + n > APP_YAML_MAX_NODES)
		return -E2BIG;
	*top += n;
	return 0;
}

__attribute__((format(printf, 4, 5))) static int fail(char **ret_err, const char *file,
						      size_t line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (asprintf(ret_err, "%s:%zu: %s", file, line + 1, msg) < 0)
		*ret_err = NULL;
	return -EINVAL;
}

int app_yaml_scan(const char *file, const char *text, size_t len, char **ret_err)
{
	yaml_parser_t parser;
	struct scan s = { 0 };
	int r = 0;
	bool done = false;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done && r == 0) {
		yaml_event_t ev;
		const char *anchor = NULL;
		size_t line;

		if (!yaml_parser_parse(&parser, &ev)) {
			r = app_yaml_syntax_error(&parser, file, ret_err);
			break;
		}
		line = ev.start_mark.line;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			scan_reset(&s);
			s.stack[0] = 0;
			break;
		case YAML_SCALAR_EVENT:
			anchor = (const char *)ev.data.scalar.anchor;
			if (add_nodes(&s, 1) < 0)
				r = fail(ret_err, file, line, "too many nodes in one document (limit %d, aliases expanded)", APP_YAML_MAX_NODES);
			else if (anchor && (r = anchor_add(&s, anchor, 1)) == -E2BIG)
				r = fail(ret_err, file, line, "too many anchors in one document (limit %d)", APP_YAML_MAX_ANCHORS);
			break;
		case YAML_ALIAS_EVENT: {
			struct anchor *a = anchor_find(&s, (const char *)ev.data.alias.anchor);

			if (!a)
				r = fail(ret_err, file, line, "unknown alias \"*%.64s\"",
					 (const char *)ev.data.alias.anchor);
			else if (a->size == 0)
				r = fail(ret_err, file, line, "alias \"*%.64s\" refers to a node that contains it",
					 a->name);
			else if (add_nodes(&s, a->size) < 0)
				r = fail(ret_err, file, line,
					 "too many nodes in one document after expanding \"*%.64s\" (limit %d)", a->name, APP_YAML_MAX_NODES);
			break;
		}
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			anchor = (const char *)(ev.type == YAML_SEQUENCE_START_EVENT
							? ev.data.sequence_start.anchor
							: ev.data.mapping_start.anchor);
			if (s.depth == APP_YAML_MAX_DEPTH) {
				r = fail(ret_err, file, line, "nested too deeply (limit %d)", APP_YAML_MAX_DEPTH);
				break;
			}
			s.depth++;
			s.stack[s.depth] = 1;
			s.open_anchor[s.depth] = SIZE_MAX;
			/* size 0 until it closes: an alias to it inside would make a cycle */
			if (anchor) {
				r = anchor_add(&s, anchor, 0);
				if (r == -E2BIG)
					r = fail(ret_err, file, line, "too many anchors in one document (limit %d)", APP_YAML_MAX_ANCHORS);
				else if (r == 0)
					s.open_anchor[s.depth] = s.n_anchors - 1;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT: {
			size_t size = s.stack[s.depth];

			if (s.open_anchor[s.depth] != SIZE_MAX)
				s.anchors[s.open_anchor[s.depth]].size = size;
			s.depth--;
			if (add_nodes(&s, size) < 0)
				r = fail(ret_err, file, line, "too many nodes in one document (limit %d, aliases expanded)", APP_YAML_MAX_NODES);
			break;
		}
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	scan_reset(&s);
	yaml_parser_delete(&parser);
	return r;
}

int app_yaml_syntax_error(yaml_parser_t *p, const char *file, char **ret_err)
{
	const yaml_mark_t *m = p->problem ? &p->problem_mark : &p->context_mark;
	int r;

	if (p->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (p->context)
		r = asprintf(ret_err, "%s:%zu: yaml: %s %s", file, m->line + 1,
			     p->problem ? p->problem : "error", p->context);
	else
		r = asprintf(ret_err, "%s:%zu: yaml: %s", file, m->line + 1,
			     p->problem ? p->problem : "error");
	if (r < 0)
		*ret_err = NULL;
	return -EINVAL;
}
