#!/bin/bash
# kernel/wireguard-mesh.sh with its full-tunnel section (issue 17): alice
# goes full tunnel (wg-quick's fwmark and policy rules) and must still
# punch carol direct. Fails today: the module sends its mapping queries
# without the flow's mark (kmod/mapping.c), so they go into wg0 and the
# punch has no public candidate of alice's; it ends on the relay.
# vm-timeout: 900
export WG_FULL_TUNNEL=1
. "$(dirname "$0")/../kernel/wireguard-mesh.sh"
