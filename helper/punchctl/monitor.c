// SPDX-License-Identifier: GPL-2.0-or-later
/* punchctl monitor [count N]: print events as they happen. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "punchctl.h"

struct monitor {
	struct punchctl *ctl;
	uint32_t left;		/* events still to print; 0: forever */
	int counted;
};

static int print_event(const struct nfp_event *e, void *arg)
{
	struct monitor *m = arg;

	if (m->ctl->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "event",
				       json_object_new_string(nfp_event_name(e->type)));
		json_object_object_add(o, e->type == NFP_EVENT_MAPPING ? "mapping" : "flow",
				       e->type == NFP_EVENT_MAPPING ?
				       mapping_json(&e->mapping) : flow_json(&e->flow));
		ctl_json_print(m->ctl, o);
	} else if (e->type == NFP_EVENT_MAPPING) {
		mapping_print(&e->mapping);
	} else {
		printf("[%s] ", nfp_event_name(e->type));
		flow_print(&e->flow);
	}
	fflush(stdout);
	if (m->counted && --m->left == 0)
		return -ECANCELED;	/* enough: stop reading */
	return 0;
}

int do_monitor(struct punchctl *ctl, int argc, char **argv)
{
	struct monitor m = { .ctl = ctl };
	struct nfp_events *ev;
	int ret;

	if (argc == 2 && matches(argv[0], "count")) {
		if (parse_u32(argv[1], &m.left) || !m.left)
			return ctl_usage_error("invalid count '%s'", argv[1]);
		m.counted = 1;
	} else if (argc) {
		return ctl_usage_error("monitor takes only 'count N'");
	}
	ret = nfp_events_open(&ev);
	if (ret < 0) {
		fprintf(stderr, "punchctl: cannot listen to events: %s\n", strerror(-ret));
		return EXIT_FAIL;
	}
	/* JSON: one object per line, so a reader can stream it. */
	for (;;) {
		ret = nfp_events_read(ev, print_event, &m);
		if (ret == -ECANCELED) {
			ret = 0;
			break;
		}
		if (ret == -ENOBUFS) {
			fprintf(stderr, "punchctl: events were lost (receive buffer full)\n");
			continue;
		}
		if (ret < 0)
			break;
	}
	nfp_events_close(ev);
	if (ret < 0) {
		fprintf(stderr, "punchctl: reading events: %s\n", strerror(-ret));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
