/* metav1.LabelSelector matching (src/k8s/kube-obj.c): matchLabels, the four operators of
 * matchExpressions (NotIn also matching an absent label, as Kubernetes does), empty and null
 * selectors, and -EINVAL for every malformed selector whatever the labels; plus the
 * metadata helpers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kube.h"
#include "test-util.h"

static int match(const char *sel, const char *labels)
{
	json_t *s = sel ? json_loads(sel, JSON_DECODE_ANY, NULL) : NULL;
	json_t *l = json_loads(labels, JSON_DECODE_ANY, NULL);
	int r;

	if (sel && !s)
		fprintf(stderr, "bad test JSON: %s\n", sel);
	r = kube_selector_matches(s, l);
	json_decref(s);
	json_decref(l);
	return r;
}

static void test_match(void)
{
	const char *L = "{\"app\":\"x\",\"tier\":\"web\"}";

	CHECK_EQ_INT(match(NULL, L), 1);
	CHECK_EQ_INT(match("null", L), 1);
	CHECK_EQ_INT(match("{}", L), 1);
	CHECK_EQ_INT(match("{}", "{}"), 1);
	CHECK_EQ_INT(match("{\"matchLabels\":{}}", L), 1);
	CHECK_EQ_INT(match("{\"matchLabels\":{\"app\":\"x\"}}", L), 1);
	CHECK_EQ_INT(match("{\"matchLabels\":{\"app\":\"x\",\"tier\":\"web\"}}", L), 1);
	CHECK_EQ_INT(match("{\"matchLabels\":{\"app\":\"y\"}}", L), 0);
	CHECK_EQ_INT(match("{\"matchLabels\":{\"zone\":\"a\"}}", L), 0);
	CHECK_EQ_INT(match("{\"matchLabels\":{\"app\":\"x\"}}", "{}"), 0);
	CHECK_EQ_INT(match("{\"matchLabels\":{\"app\":\"\"}}", "{\"app\":\"\"}"), 1);

#define EXPR(op, vals) "{\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"" op "\"" vals "}]}"
	CHECK_EQ_INT(match(EXPR("In", ",\"values\":[\"db\",\"web\"]"), L), 1);
	CHECK_EQ_INT(match(EXPR("In", ",\"values\":[\"db\"]"), L), 0);
	CHECK_EQ_INT(match(EXPR("In", ",\"values\":[\"web\"]"), "{}"), 0);
	CHECK_EQ_INT(match(EXPR("NotIn", ",\"values\":[\"db\"]"), L), 1);
	CHECK_EQ_INT(match(EXPR("NotIn", ",\"values\":[\"web\"]"), L), 0);
	CHECK_EQ_INT(match(EXPR("NotIn", ",\"values\":[\"web\"]"), "{}"), 1);
	CHECK_EQ_INT(match(EXPR("Exists", ""), L), 1);
	CHECK_EQ_INT(match(EXPR("Exists", ",\"values\":[]"), L), 1);
	CHECK_EQ_INT(match(EXPR("Exists", ""), "{\"app\":\"x\"}"), 0);
	CHECK_EQ_INT(match(EXPR("DoesNotExist", ""), L), 0);
	CHECK_EQ_INT(match(EXPR("DoesNotExist", ""), "{\"app\":\"x\"}"), 1);
	CHECK_EQ_INT(match(EXPR("Exists", ""), "null"), 0);

	/* everything must hold: labels AND every expression */
	CHECK_EQ_INT(match("{\"matchLabels\":{\"app\":\"x\"},\"matchExpressions\":["
			   "{\"key\":\"tier\",\"operator\":\"In\",\"values\":[\"web\"]},"
			   "{\"key\":\"zone\",\"operator\":\"DoesNotExist\"}]}",
			   L),
		     1);
	CHECK_EQ_INT(match("{\"matchLabels\":{\"app\":\"x\"},\"matchExpressions\":["
			   "{\"key\":\"tier\",\"operator\":\"In\",\"values\":[\"web\"]},"
			   "{\"key\":\"app\",\"operator\":\"DoesNotExist\"}]}",
			   L),
		     0);
}

static void test_malformed(void)
{
	static const char *bad[] = {
		"[]",
		"\"app=x\"",
		"{\"matchLabels\":[]}",
		"{\"matchLabels\":{\"app\":1}}",
		"{\"matchLabels\":{\"\":\"x\"}}",
		"{\"matchLabel\":{\"app\":\"x\"}}",
		"{\"matchExpressions\":{}}",
		"{\"matchExpressions\":[1]}",
		"{\"matchExpressions\":[{\"operator\":\"Exists\"}]}",
		"{\"matchExpressions\":[{\"key\":\"\",\"operator\":\"Exists\"}]}",
		"{\"matchExpressions\":[{\"key\":\"a\"}]}",
		"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"in\",\"values\":[\"x\"]}]}",
		"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Gt\",\"values\":[\"1\"]}]}",
		"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\"}]}",
		"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[]}]}",
		"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"NotIn\",\"values\":[1]}]}",
		"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\",\"values\":[\"x\"]}]}",
		"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\",\"value\":[]}]}",
		/* malformed after a part that already fails to match: still -EINVAL */
		"{\"matchLabels\":{\"nope\":\"x\"},\"matchExpressions\":[{\"key\":\"a\"}]}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = match(bad[i], "{\"app\":\"x\"}");

		if (r != -EINVAL)
			fprintf(stderr, "selector %s: %d, not -EINVAL\n", bad[i], r);
		CHECK_EQ_INT(r, -EINVAL);
	}
	CHECK_EQ_INT(match("{}", "[]"), -EINVAL); /* labels must be an object */
}

static void test_helpers(void)
{
	json_t *o = json_loads("{\"metadata\":{\"name\":\"n\",\"namespace\":\"ns\",\"uid\":\"u\","
			       "\"finalizers\":[\"a/b\",\"c\"],"
			       "\"deletionTimestamp\":\"2026-01-01T00:00:00Z\"}}",
			       0, NULL);
	json_t *c = json_loads("{\"metadata\":{\"name\":\"node1\"}}", 0, NULL);

	CHECK_STREQ(kube_obj_name(o), "n");
	CHECK_STREQ(kube_obj_namespace(o), "ns");
	CHECK_STREQ(kube_obj_uid(o), "u");
	CHECK(kube_obj_deleting(o));
	CHECK(kube_obj_has_finalizer(o, "a/b"));
	CHECK(kube_obj_has_finalizer(o, "c"));
	CHECK(!kube_obj_has_finalizer(o, "a"));
	CHECK(kube_obj_namespace(c) == NULL);
	CHECK(!kube_obj_deleting(c));
	CHECK(!kube_obj_has_finalizer(c, "c"));
	CHECK(kube_obj_name(NULL) == NULL);
	json_decref(o);
	json_decref(c);
}

int main(void)
{
	test_match();
	test_malformed();
	test_helpers();
	return TEST_RESULT();
}
