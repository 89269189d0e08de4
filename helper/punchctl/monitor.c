// SPDX-License-Identifier: GPL-2.0-or-later
/* punchctl monitor [count N] [tag N]: print events as they happen. */
#include <errno.h>
#include <poll.h>
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
	const struct nfp_mapping *mp = nfp_event_get_mapping(e);
	const struct nfp_flow *f = nfp_event_get_flow(e);
	int type = nfp_event_get_type(e);
	struct monitor *m = arg;

	if (m->ctl->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "event",
				       json_object_new_string(nfp_event_name(type)));
		json_object_object_add(o, mp ? "mapping" : "flow",
				       mp ? mapping_json(mp) : flow_json(f));
		ctl_json_print(m->ctl, o);
	} else if (mp) {
		mapping_print(mp);
	} else {
		printf("[%s] ", nfp_event_name(type));
		flow_print(f);
	}
	fflush(stdout);
	if (m->counted && --m->left == 0)
		return -ECANCELED;	/* enough: stop reading */
	return 0;
}

int do_monitor(struct punchctl *ctl, int argc, char **argv)
{
	struct monitor m = { .ctl = ctl };
	struct nfp_flow *filter = NULL;
	struct nfp_events *ev;
	uint32_t tag;
	int ret;

	for (ret = EXIT_OK; ret == EXIT_OK && argc > 0; argc -= 2, argv += 2) {
		if (!matches(argv[0], "count") && strcmp(argv[0], "tag")) {
			ret = ctl_usage_error("monitor takes 'count N' and 'tag N'");
		} else if (argc < 2) {
			ret = ctl_usage_error("'%s' needs a value", argv[0]);
		} else if (strcmp(argv[0], "tag") == 0) {
			if (parse_tag(argv[1], &tag))
				ret = ctl_usage_error("invalid tag '%s'", argv[1]);
			else if (!filter && !(filter = nfp_flow_alloc()))
				ret = ctl_out_of_memory();
			else
				nfp_flow_set_u32(filter, NFP_FLOW_APP_TAG, tag);
		} else if (parse_u32(argv[1], &m.left) || !m.left) {
			ret = ctl_usage_error("invalid count '%s'", argv[1]);
		} else {
			m.counted = 1;
		}
	}
	if (ret != EXIT_OK) {
		nfp_flow_free(filter);
		return ret;
	}
	ret = nfp_events_open(&ev);
	if (ret == 0 && filter)
		ret = nfp_events_set_filter(ev, filter);
	nfp_flow_free(filter);
	if (ret < 0) {
		nfp_events_close(ev);
		fprintf(stderr, "punchctl: cannot listen to events: %s\n", strerror(-ret));
		return EXIT_FAIL;
	}
	/* JSON: one object per line, so a reader can stream it. */
	for (;;) {
		struct pollfd p = { .fd = nfp_events_fd(ev), .events = POLLIN };

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
		/* The read never blocks: wait here for more. */
		if (poll(&p, 1, -1) < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
	}
	nfp_events_close(ev);
	if (ret < 0) {
		fprintf(stderr, "punchctl: reading events: %s\n", strerror(-ret));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
