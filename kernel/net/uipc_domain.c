/*
 * uipc_domain.c — the list of communication domains (net/socket.h) and
 * the lookup of a protocol by (family, type, protocol).
 *
 * Domains attach from component inits (RUMP_COMPONENT_NET) and never go
 * away, so the list is appended to under domain_lock and read without it:
 * a new entry is published with a release store after it is complete.
 */
#include "net/socket.h"

static kmutex_t domain_lock;
static struct domain *domains; /* [a] appended under domain_lock */
static bool domain_ready;

RUMP_COMPONENT(RUMP_COMPONENT_KERN)
{
	mutex_init(&domain_lock, MUTEX_DEFAULT);
	domain_ready = true;
}

void
domain_attach(struct domain *dp)
{
	struct domain **dpp;

	KASSERT(domain_ready);
	if (dp->dom_init != NULL)
		dp->dom_init();
	for (int i = 0; i < dp->dom_nprotosw; i++)
		if (dp->dom_protosw[i].pr_init != NULL)
			dp->dom_protosw[i].pr_init();
	dp->dom_next = NULL;
	mutex_enter(&domain_lock);
	for (dpp = &domains; *dpp != NULL; dpp = &(*dpp)->dom_next)
		KASSERTMSG(*dpp != dp, "domain_attach: %s twice", dp->dom_name);
	atomic_store_release(dpp, dp);
	mutex_exit(&domain_lock);
}

struct domain *
pffinddomain(int family)
{
	struct domain *dp;

	for (dp = atomic_load_acquire(&domains); dp != NULL;
	     dp = atomic_load_acquire(&dp->dom_next))
		if (dp->dom_family == family)
			return dp;
	return NULL;
}

const struct protosw *
pffindproto(int family, int type, int protocol, int *error)
{
	const struct protosw *pr;
	struct domain *dp;
	bool family_seen = false, type_seen = false;

	for (dp = atomic_load_acquire(&domains); dp != NULL;
	     dp = atomic_load_acquire(&dp->dom_next)) {
		if (dp->dom_family != family)
			continue;
		family_seen = true;
		for (int i = 0; i < dp->dom_nprotosw; i++) {
			pr = &dp->dom_protosw[i];
			if (pr->pr_type != type)
				continue;
			type_seen = true;
			if (protocol == 0 || pr->pr_protocol == protocol ||
			    (type == SOCK_RAW && pr->pr_protocol == 0))
				return pr;
		}
	}
	if (!family_seen)
		*error = EAFNOSUPPORT;
	else if (!type_seen)
		*error = type > 0 && type <= 10 ? ESOCKTNOSUPPORT : EINVAL;
	else
		*error = EPROTONOSUPPORT;
	return NULL;
}
