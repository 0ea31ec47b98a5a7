/* The CSI driver's input checks: volume ids and map names become path elements, so
 * anything that could leave the driver's directories is refused; the maps attribute is
 * trimmed, de-duplicated and sorted (the same publish in another spelling is the same). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "csi-check.h"
#include "test-util.h"

static void test_volume_id(void)
{
	const char *why = NULL;
	char longest[CSI_VOLUME_ID_MAX + 2];

	CHECK(csi_volume_id_ok("csi-0123456789abcdef", &why));
	CHECK(csi_volume_id_ok("vol_1.a-b", &why));
	memset(longest, 'a', sizeof(longest));
	longest[CSI_VOLUME_ID_MAX] = '\0';
	CHECK(csi_volume_id_ok(longest, &why));
	longest[CSI_VOLUME_ID_MAX] = 'a';
	longest[CSI_VOLUME_ID_MAX + 1] = '\0';
	CHECK(!csi_volume_id_ok(longest, &why));
	static const char *const bad[] = { "", ".", "..", "../x", "a/b", "/abs", ".hidden",
					   "sp ace", "new\nline", "tab\t", "ü" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		CHECK(!csi_volume_id_ok(bad[i], &why));
		CHECK(why && *why);
	}
	CHECK(!csi_volume_id_ok(NULL, &why));
}

static void test_target_path(void)
{
	const char *why;

	CHECK(csi_target_path_ok("/var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/maps/mount", &why));
	CHECK(csi_target_path_ok("/a//b/", &why));
	CHECK(csi_target_path_ok("/a/..b/.c", &why));
	CHECK(!csi_target_path_ok("", &why));
	CHECK(!csi_target_path_ok("/", &why));
	CHECK(!csi_target_path_ok("relative/x", &why));
	CHECK(!csi_target_path_ok("/a/../b", &why));
	CHECK(!csi_target_path_ok("/a/./b", &why));
	CHECK(!csi_target_path_ok("/a/..", &why));
	CHECK(!csi_target_path_ok("/a\nb", &why));
}

static void test_maps(void)
{
	struct csi_maps m;
	char *bad = NULL, *s;

	CHECK_EQ_INT(csi_maps_parse(" b , a,,b,\ta ", &m, &bad), 0);
	CHECK_EQ_INT(m.n, 2);
	s = csi_maps_join(&m);
	CHECK_STREQ(s, "a,b");
	free(s);
	csi_maps_clear(&m);

	CHECK_EQ_INT(csi_maps_parse("counters", &m, &bad), 0);
	CHECK_EQ_INT(m.n, 1);
	csi_maps_clear(&m);

	CHECK_EQ_INT(csi_maps_parse("a,../b", &m, &bad), -EINVAL);
	CHECK_STREQ(bad, "../b");
	CHECK_EQ_INT(m.n, 0);
	free(bad);
	CHECK_EQ_INT(csi_maps_parse("a/b", &m, &bad), -EINVAL);
	free(bad);
	CHECK_EQ_INT(csi_maps_parse("a b", &m, &bad), -EINVAL);
	free(bad);
	CHECK_EQ_INT(csi_maps_parse(".x", &m, &bad), -EINVAL);
	free(bad);
	CHECK_EQ_INT(csi_maps_parse(" , ,", &m, &bad), -ENODATA);
	CHECK_EQ_INT(csi_maps_parse("", &m, &bad), -ENODATA);

	{
		char many[CSI_MAX_MAPS * 8 + 16] = "";

		for (int i = 0; i <= CSI_MAX_MAPS; i++) {
			char one[16];

			snprintf(one, sizeof(one), "%sm%d", i ? "," : "", i);
			strcat(many, one);
		}
		CHECK_EQ_INT(csi_maps_parse(many, &m, &bad), -E2BIG);
		CHECK_EQ_INT(m.n, 0);
	}
}

int main(void)
{
	test_volume_id();
	test_target_path();
	test_maps();
	return TEST_RESULT();
}
