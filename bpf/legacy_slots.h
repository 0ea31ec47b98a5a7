/* Slots of the `counters` array in legacy_sections.bpf.c and legacy_static.bpf.c (the
 * tests use the same numbers). */
#pragma once

enum legacy_slot {
	LEGACY_SLOT_TC,
	LEGACY_SLOT_TCX,
	LEGACY_SLOT_XDP,
	LEGACY_SLOT_TRACEPOINT,
	LEGACY_SLOT_KPROBE,
	LEGACY_SLOT_KRETPROBE,
	LEGACY_SLOT_UPROBE,
	LEGACY_SLOT_URETPROBE,
	LEGACY_SLOT_TCX_INGRESS,
	LEGACY_SLOT_GENERIC,
	LEGACY_SLOT_MAX = 16,
};
