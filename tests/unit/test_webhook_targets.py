"""Partner webhook targets: internal addresses are refused (at registration and again at delivery), unless the
operator allowed that network; filters must name declared event types."""

import pytest

from services.notification.domain.endpoints import TargetRefused, check_target, unknown_filters


def resolver(addresses):
    return lambda host, port: addresses


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254",
                                     "::1", "fe80::1", "fd00::1", "0.0.0.0", "224.0.0.1"])
def test_loopback_private_link_local_and_other_internal_addresses_are_refused(address):
    with pytest.raises(TargetRefused) as refused:
        check_target("https://partner.example/hook", resolver=resolver([address]))
    assert refused.value.code == "forbidden_target"


@pytest.mark.parametrize("address", [
    "64:ff9b::a00:1",           # NAT64 of 10.0.0.1
    "64:ff9b::7f00:1",          # NAT64 of 127.0.0.1
    "64:ff9b:1::a9fe:a9fe",     # local-use NAT64 of 169.254.169.254
    "2002:c0a8:101::1",         # 6to4 of 192.168.1.1
    "::ffff:10.0.0.1",          # IPv4-mapped
    "::10.0.0.1",               # IPv4-compatible
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo (its client 192.0.2.45 is documentation space)
])
def test_ipv6_addresses_that_lead_to_an_internal_ipv4_address_are_refused_like_the_plain_ones(address):
    with pytest.raises(TargetRefused) as refused:
        check_target("https://partner.example/hook", resolver=resolver([address]))
    assert refused.value.code == "forbidden_target"


@pytest.mark.parametrize("address", ["64:ff9b::5db8:d822", "2002:5db8:d822::1", "2606:4700:4700::1111"])
def test_ipv6_addresses_that_lead_to_a_public_address_pass(address):
    check_target("https://partner.example/hook", resolver=resolver([address]))


def test_a_name_with_one_internal_address_among_public_ones_is_refused_and_a_public_one_passes():
    with pytest.raises(TargetRefused):
        check_target("https://partner.example/hook", resolver=resolver(["93.184.216.34", "10.0.0.5"]))
    check_target("https://partner.example/hook", resolver=resolver(["93.184.216.34"]))


@pytest.mark.parametrize("url", ["ftp://partner.example/x", "https:///x", "https://user:pw@partner.example/x",
                                 "https://partner.example:99999/x", "partner.example/x"])
def test_urls_that_are_not_plain_http_s_are_refused(url):
    with pytest.raises(TargetRefused) as refused:
        check_target(url, resolver=resolver(["93.184.216.34"]))
    assert refused.value.code == "invalid_url"


def test_an_operator_may_allow_a_network_such_as_a_local_test_receiver():
    check_target("http://127.0.0.1:9000/hook", allowed_networks=["127.0.0.0/8"], resolver=resolver(["127.0.0.1"]))


def test_filters_must_name_declared_event_types_and_well_formed_areas():
    assert unknown_filters(["org.gridlink.case.reported.v1", "case.nope"], ["st-huayang", "Bad Area"],
                           known_types=["org.gridlink.case.reported.v1"]) == ["event type case.nope",
                                                                              "area Bad Area"]


async def test_the_senders_own_name_resolution_keeps_only_addresses_a_webhook_may_reach():
    """A name that resolved to a public address when checked and to an internal one when connecting (DNS
    rebinding) gets no address from the sender's resolver."""
    from services.notification.workers.webhook_sender import CheckedResolver

    with pytest.raises(OSError):
        await CheckedResolver([]).resolve("localhost", 80)
    kept = await CheckedResolver(["127.0.0.0/8"]).resolve("localhost", 80)
    assert kept and all(r["host"].startswith("127.") for r in kept)
